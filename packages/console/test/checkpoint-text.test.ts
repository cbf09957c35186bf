import type { Checkpoint } from '@longhand/protocol';
import { describe, expect, it } from 'vitest';
import { restoreBlocker, restoredText, takenText, triggerLabel } from '../src/pages/session/checkpoint-text.js';

const checkpoint = (id: string, seq: number, trigger: Checkpoint['trigger'] = 'turn_end'): Checkpoint => ({
  type: 'checkpoint',
  id,
  session_id: 'sesn_1',
  seq,
  event_id: `sevt_${seq}`,
  trigger,
  size_bytes: 10,
  added_bytes: 10,
  created_at: '2026-01-01T00:00:00.000Z',
});

describe('checkpoint texts', () => {
  it('names every trigger, and passes through one it does not know', () => {
    expect(['turn_end', 'manual', 'fork', 'restore'].map(triggerLabel)).toEqual(['end of a turn', 'taken by hand', 'start of this fork', 'after a restore']);
    expect(triggerLabel('scheduled')).toBe('scheduled');
  });

  it('says a restore happened, to which checkpoint and event, and that the log keeps the rest', () => {
    const text = restoredText({ id: 'sevt_9', type: 'session.restored', checkpoint_id: 'ckpt_A', restored_to_seq: 17, processed_at: null });
    expect(text).toContain('ckpt_A');
    expect(text).toContain('event #17');
    expect(text).toContain('stay in the log');
  });

  it('blocks a restore of a running or archived session, and of nothing else', () => {
    expect(restoreBlocker('running', false)).toMatch(/interrupt it/);
    expect(restoreBlocker('rescheduling', false)).toMatch(/interrupt it/);
    expect(restoreBlocker('idle', true)).toMatch(/archived/);
    expect(restoreBlocker('idle', false)).toBeUndefined();
    expect(restoreBlocker('terminated', false)).toBeUndefined();
  });

  it('tells a new checkpoint from the latest one the server handed back when nothing had changed', () => {
    const listed = [checkpoint('ckpt_B', 30), checkpoint('ckpt_A', 17)];
    expect(takenText(checkpoint('ckpt_C', 31, 'manual'), listed)).toBe('Checkpoint ckpt_C taken at event #31.');
    expect(takenText(listed[0]!, listed)).toMatch(/^Nothing has happened since checkpoint ckpt_B \(end of a turn, event #30\)/);
  });
});
