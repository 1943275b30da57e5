/**
 * The widget's CSS, inside its shadow root: the host page's styles do not
 * reach in, and ours do not leak out. Colours meet WCAG AA contrast (4.5:1
 * for text). Under 480 px wide the panel takes the whole screen.
 */
export const css = `
:host { all: initial; }
[hidden] { display: none !important; }
* { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px; height: 56px; border-radius: 50%; border: 0;
  background: #1d4ed8; color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); display: flex; align-items: center; justify-content: center; }
.launcher:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; border-radius: 10px; background: #b91c1c; color: #fff; font-size: 12px; line-height: 20px; text-align: center; padding: 0 5px; }
.panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483000; width: 370px; height: min(600px, calc(100vh - 110px)); background: #fff; color: #111827;
  border-radius: 12px; box-shadow: 0 10px 40px rgba(0,0,0,.3); display: flex; flex-direction: column; overflow: hidden; font-size: 15px; }
.panel[hidden] { display: none; }
header { background: #1d4ed8; color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 10px; }
header h2 { margin: 0; font-size: 16px; flex: 1; }
header button { background: transparent; color: #fff; border: 0; font-size: 22px; line-height: 1; cursor: pointer; padding: 4px 8px; border-radius: 6px; }
.status { font-size: 13px; padding: 6px 14px; background: #fef3c7; color: #78350f; }
.status:empty { display: none; }
.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f9fafb; }
.msg { max-width: 82%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.msg.in { align-self: flex-end; background: #1d4ed8; color: #fff; border-bottom-right-radius: 3px; }
.msg.out { align-self: flex-start; background: #e5e7eb; color: #111827; border-bottom-left-radius: 3px; }
.msg.system { align-self: center; background: transparent; color: #374151; font-size: 14px; text-align: center; }
.who { display: flex; align-items: center; gap: 6px; font-size: 12px; color: #374151; margin-bottom: 3px; }
.avatar { width: 22px; height: 22px; border-radius: 50%; background: #4b5563; color: #fff; font-size: 11px; display: inline-flex; align-items: center; justify-content: center; object-fit: cover; }
.meta { font-size: 11px; opacity: .85; margin-top: 3px; }
.typing { font-size: 13px; color: #374151; padding: 0 14px 6px; min-height: 1.2em; background: #f9fafb; }
form.composer { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #e5e7eb; align-items: flex-end; }
textarea { flex: 1; resize: none; border: 1px solid #6b7280; border-radius: 8px; padding: 8px; font-size: 15px; max-height: 120px; min-height: 40px; color: #111827; }
.send { background: #1d4ed8; color: #fff; border: 0; border-radius: 8px; padding: 0 14px; height: 40px; font-size: 15px; cursor: pointer; }
.attach { background: #fff; color: #1f2937; border: 1px solid #6b7280; border-radius: 8px; width: 40px; height: 40px; cursor: pointer; display: flex; align-items: center; justify-content: center; }
.attach svg { width: 20px; height: 20px; fill: none; stroke: currentColor; stroke-width: 2; }
form.prechat { padding: 14px; display: flex; flex-direction: column; gap: 8px; overflow-y: auto; }
form.prechat label { font-size: 13px; color: #1f2937; display: flex; flex-direction: column; gap: 3px; }
form.prechat input { border: 1px solid #6b7280; border-radius: 6px; padding: 8px; font-size: 15px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 480px) {
  .panel { right: 0; bottom: 0; width: 100vw; height: 100%; border-radius: 0; }
  .launcher { right: 14px; bottom: 14px; }
  .launcher.is-open { display: none; }
  textarea, .send, form.prechat input { font-size: 16px; }
}
@media (prefers-reduced-motion: no-preference) { .panel { transition: opacity .15s; } }
`
