/**
 * Incremental Server-Sent Events parser (WHATWG "event stream interpretation"), fed network chunks as they
 * arrive. Chunk boundaries may fall anywhere: inside a UTF-8 sequence, a field, or between the CR and LF of a
 * CRLF. Comments (`:` lines) are skipped; multi-line `data:` fields are joined with "\n".
 *
 * Unlike a browser's EventSource, which ignores what it does not understand, a probe must notice a broken
 * stream: unknown field names and a stream that ends inside an event are reported as `problems` (the events
 * themselves are still delivered as the spec says).
 */

export interface SseEvent {
  /** the `event:` field, "message" when absent */
  event: string;
  /** the data lines joined with "\n" */
  data: string;
  id?: string;
}

const KNOWN_FIELDS = new Set(['data', 'event', 'id', 'retry']);
/** Enough to show what went wrong without letting a garbage stream grow memory without bound. */
const MAX_PROBLEMS = 20;

export class SseParser {
  /** framing problems seen so far, in order, each one line */
  readonly problems: string[] = [];
  private readonly decoder = new TextDecoder('utf-8');
  /** the streaming decoder may hold the first bytes of a character split across chunks */
  private midSequence = false;
  private partial = '';
  /** the previous chunk ended with CR: a LF at the start of the next one belongs to the same terminator */
  private skipLf = false;
  private lineNo = 0;
  private data: string[] = [];
  private eventType = '';
  private lastId: string | undefined;
  private sawField = false;
  private out: SseEvent[] = [];

  /** Feed one chunk; returns the events it completed (possibly none). */
  push(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.decode(chunk);
    this.scan(text);
    return this.take();
  }

  /** The stream ended: flush the decoder; an unterminated event is discarded (as the spec says) and reported. */
  end(): SseEvent[] {
    const rest = this.decoder.decode();
    if (rest) this.scan(rest);
    if (this.partial.length > 0) {
      this.problem(`stream ended inside a line: "${clip(this.partial)}"`);
      this.partial = '';
    }
    if (this.sawField) this.problem('stream ended before the blank line that completes an event');
    this.data = [];
    this.sawField = false;
    return this.take();
  }

  /**
   * Bytes to text. A chunk ending in an ASCII byte (SSE events end in "\n") cannot split a UTF-8 sequence, so
   * Buffer's native decoding is used; otherwise (and until a chunk ends cleanly again) the streaming decoder
   * carries the partial sequence over to the next chunk.
   */
  private decode(chunk: Uint8Array): string {
    const last = chunk.length > 0 ? (chunk[chunk.length - 1] as number) : 0;
    if (!this.midSequence && last < 0x80 && Buffer.isBuffer(chunk)) return chunk.toString('utf8');
    const text = this.decoder.decode(chunk, { stream: true });
    this.midSequence = last >= 0x80;
    return text;
  }

  private take(): SseEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  private scan(text: string): void {
    let start = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    const n = text.length;
    if (text.indexOf('\r', start) < 0) {
      // Fast path for LF-only streams (what servers send): native indexOf instead of a loop per character.
      for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
        const line = this.partial.length > 0 ? this.partial + text.slice(start, nl) : text.slice(start, nl);
        this.partial = '';
        start = nl + 1;
        this.line(line);
      }
      if (start < n) this.partial += text.slice(start);
      return;
    }
    for (let i = start; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = this.partial.length > 0 ? this.partial + text.slice(start, i) : text.slice(start, i);
      this.partial = '';
      if (c === 13) {
        if (i + 1 < n) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLf = true;
        }
      }
      start = i + 1;
      this.line(line);
    }
    if (start < n) this.partial += text.slice(start);
  }

  private line(line: string): void {
    this.lineNo++;
    if (line.length === 0) {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return; // comment (keep-alive pings)
    if (line.startsWith('data: ')) {
      // the common case, without the general field split below
      this.sawField = true;
      this.data.push(line.slice(6));
      return;
    }
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 32 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    this.sawField = true;
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        break;
      default:
        if (!KNOWN_FIELDS.has(field)) this.problem(`line ${this.lineNo}: unknown SSE field "${clip(field)}"`);
    }
  }

  private dispatch(): void {
    this.sawField = false;
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    const event: SseEvent = { event: this.eventType || 'message', data: this.data.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.out.push(event);
    this.data = [];
    this.eventType = '';
  }

  private problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
