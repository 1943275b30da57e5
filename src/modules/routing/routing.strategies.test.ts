import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { abArm, type AgentCandidate, decide, weightedLoad } from './routing.strategies.ts'

const agent = (userId: string, capacity: Record<string, number>, load: Record<string, number>, skills: AgentCandidate['skills'] = [], lastAssignedAt: Date | null = null): AgentCandidate => ({ userId, capacity, load, skills, lastAssignedAt })
const rules = { strategy: 'least_loaded' as const, fallbackStrategy: null, requiredSkills: [], preferredSkills: [], skillLevelDrop: 0 }

test('least_loaded weighs load by capacity across channels (the worked example in docs/routing.md)', () => {
  const ann = agent('ann', { chat: 3, email: 15 }, { chat: 2, email: 5 })
  const bob = agent('bob', { chat: 3, email: 15 }, { chat: 1, email: 12 })
  assert.equal(weightedLoad(ann), 1)
  assert.equal(weightedLoad(bob), 1.133)
  const out = decide({ channel: 'email', stickyAgentId: null }, [bob, ann], rules)
  assert.equal(out.winnerId, 'ann')
  assert.deepEqual(out.candidates.map((c) => c.userId), ['ann', 'bob'])
})

test('no free seat, or a missing required skill, makes an agent ineligible with a reason; an overflow drop widens the pool', () => {
  const full = agent('full', { email: 1 }, { email: 1 })
  const novice = agent('novice', { email: 5 }, {}, [{ name: 'german', level: 1 }])
  const skills = { ...rules, strategy: 'skills' as const, requiredSkills: [{ name: 'german', level: 2 }] }
  const out = decide({ channel: 'email', stickyAgentId: null }, [full, novice], skills)
  assert.equal(out.winnerId, null)
  assert.match(out.candidates.find((c) => c.userId === 'full')!.note!, /no free email capacity \(1\/1\)/)
  assert.match(out.candidates.find((c) => c.userId === 'novice')!.note!, /lacks german ≥ 2/)
  assert.equal(decide({ channel: 'email', stickyAgentId: null }, [full, novice], { ...skills, skillLevelDrop: 1 }).winnerId, 'novice')
})

test('skills ranks by required and weighted preferred levels; sticky falls back when its agent is not eligible', () => {
  const plain = agent('plain', { email: 5 }, {}, [{ name: 'german', level: 3 }])
  const expert = agent('expert', { email: 5 }, {}, [{ name: 'german', level: 3 }, { name: 'billing', level: 2 }])
  const skills = { ...rules, strategy: 'skills' as const, requiredSkills: [{ name: 'german', level: 2 }], preferredSkills: [{ name: 'billing', level: 1, weight: 2 }] }
  const out = decide({ channel: 'email', stickyAgentId: null }, [plain, expert], skills)
  assert.equal(out.winnerId, 'expert')
  assert.deepEqual(out.candidates.map((c) => c.score), [7, 3])

  const sticky = { ...rules, strategy: 'sticky' as const, fallbackStrategy: 'round_robin' as const }
  assert.equal(decide({ channel: 'email', stickyAgentId: 'plain' }, [plain, expert], sticky).winnerId, 'plain')
  const busy = agent('plain', { email: 1 }, { email: 1 })
  const fell = decide({ channel: 'email', stickyAgentId: 'plain' }, [busy, expert], sticky)
  assert.equal(fell.winnerId, 'expert')
  assert.equal(fell.decidedBy, 'round_robin')
  assert.match(fell.reason, /not eligible; fell back to round_robin/)
})

test('the A/B arm is a stable hash that splits near the asked percentage', () => {
  const q = randomUUID()
  const ids = Array.from({ length: 2000 }, () => randomUUID())
  const arms = ids.map((id) => abArm(q, id, 30))
  assert.deepEqual(ids.map((id) => abArm(q, id, 30)), arms)
  const b = arms.filter((a) => a === 'B').length / ids.length
  assert.ok(b > 0.25 && b < 0.35, String(b))
  assert.ok(ids.every((id) => abArm(q, id, 0) === 'A') && ids.every((id) => abArm(q, id, 100) === 'B'))
})
