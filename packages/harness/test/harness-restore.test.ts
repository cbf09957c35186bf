import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '@longhand/store';
import { SessionState } from '@longhand/harness';
import { rig, userText } from './support.js';

/** Every user text the model was given in its last request. */
function lastUserTexts(r: Awaited<ReturnType<typeof rig>>): string[] {
  const request = r.model.requests.at(-1)!;
  return request.messages.filter((m) => m.role === 'user').flatMap((m) => m.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])));
}

describe('restores', () => {
  it('give the model the conversation as it stood at the checkpoint, then what followed the restore', async () => {
    const r = await rig((view) => ({ text: `re: ${view.lastUserText}` }));
    await r.send(userText('one'));
    await r.run();
    const checkpointSeq = await r.store.events.headSeq(r.session.id);
    await r.send(userText('two'));
    await r.run();
    await r.store.events.append(r.session.id, [{ body: { type: 'session.restored', checkpoint_id: 'ckpt_a', restored_to_seq: checkpointSeq } }]);
    await r.send(userText('three'));
    await r.run();
    expect(lastUserTexts(r)).toEqual(['one', 'three']);
    // History keeps everything.
    expect(JSON.stringify(await r.events())).toContain('"two"');
    await r.close();
  });

  it('bring back a branch that an earlier restore abandoned', async () => {
    const r = await rig((view) => ({ text: `re: ${view.lastUserText}` }));
    await r.send(userText('a'));
    await r.run();
    const afterA = await r.store.events.headSeq(r.session.id);
    await r.send(userText('b'));
    await r.run();
    const afterB = await r.store.events.headSeq(r.session.id);
    await r.store.events.append(r.session.id, [{ body: { type: 'session.restored', checkpoint_id: 'ckpt_a', restored_to_seq: afterA } }]);
    await r.send(userText('c'));
    await r.run();
    expect(lastUserTexts(r)).toEqual(['a', 'c']);
    // Back to the state after b: the c branch is dropped and b comes back.
    await r.store.events.append(r.session.id, [{ body: { type: 'session.restored', checkpoint_id: 'ckpt_b', restored_to_seq: afterB } }]);
    await r.send(userText('d'));
    await r.run();
    expect(lastUserTexts(r)).toEqual(['a', 'b', 'd']);
    await r.close();
  });

  it('keep counting what was spent before the restore', async () => {
    const r = await rig((view) => ({ text: `re: ${view.lastUserText}` }));
    await r.send(userText('one'));
    await r.run();
    const seq = await r.store.events.headSeq(r.session.id);
    await r.send(userText('two'));
    await r.run();
    const events = await r.store.events.read(r.session.id, { withRedeliveries: true });
    const before = SessionState.load(events).usage.input_tokens;
    const [restored] = await r.store.events.append(r.session.id, [{ body: { type: 'session.restored', checkpoint_id: 'c', restored_to_seq: seq } }]);
    const after = SessionState.load([...events, restored as StoredEvent]);
    expect(after.usage.input_tokens).toBe(before);
    expect(after.events.some((e) => JSON.stringify(e.event).includes('"two"'))).toBe(false);
    await r.close();
  });
});
