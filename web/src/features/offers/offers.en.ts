/** English strings of routing offers (registered under `offers`). */
export const offersEn = {
  region: 'Offers',
  offered: '{{channel}} case offered to you: {{title}}',
  expiresIn_one: 'expires in {{count}} second',
  expiresIn_other: 'expires in {{count}} seconds',
  accept: 'Accept',
  decline: 'Decline',
}
