import { parseCheckpointText, parseNote, verifySignature, type Checkpoint, type Note, type NoteVerifier } from "./note.js";

export type CheckpointCheck = { ok: true; checkpoint: Checkpoint; cosignatures: number } | { ok: false; problem: string };

/**
 * Checks a checkpoint note offline: signed by the log's key, for the log's origin, and counts the
 * valid cosignatures of the given witnesses. A signature line that names a known key but does
 * not verify is a problem, not just a missing signature: somebody changed the note.
 */
export function checkCheckpointNote(noteText: string, log: NoteVerifier, witnesses: NoteVerifier[] = []): CheckpointCheck {
  let note: Note;
  try {
    note = parseNote(noteText);
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
  if (!verifySignature(note, log).ok) {
    return { ok: false, problem: claims(note, log) ? "signature invalid" : `not signed by the log key ${log.text}` };
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpointText(note.text);
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
  if (checkpoint.origin !== log.name) return { ok: false, problem: `origin ${checkpoint.origin} is not the log's origin ${log.name}` };
  let cosignatures = 0;
  for (const witness of witnesses) {
    if (verifySignature(note, witness).ok) cosignatures++;
    else if (claims(note, witness)) return { ok: false, problem: `cosignature of witness ${witness.name} invalid` };
  }
  return { ok: true, checkpoint, cosignatures };
}

/** True when the note has a signature line for this key's name and key ID. */
const claims = (note: Note, key: NoteVerifier): boolean =>
  note.signatures.some((s) => s.name === key.name && s.blob.subarray(0, 4).equals(key.id));
