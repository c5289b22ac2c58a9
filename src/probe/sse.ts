/**
 * Incremental Server-Sent Events parser (WHATWG "event stream interpretation"), fed network chunks as they
 * arrive. Chunk boundaries may fall anywhere: inside a UTF-8 sequence, a field, or between the CR and LF of a
 * CRLF. Comments (`:` lines) are skipped; multi-line `data:` fields are joined with "\n".
 *
 * Unlike a browser's EventSource, which ignores what it does not understand, a probe must notice a broken
 * stream: unknown field names and a stream that ends inside an event are reported as `problems` (the events
 * themselves are still delivered as the spec says).
 */

/**
 * Receives each completed event. The measuring client implements it so that an event costs no object and no
 * array: at ~20 events per request, those allocations were a visible share of the client's CPU.
 */
export interface SseSink {
  onEvent(data: string, event: string, id: string | undefined): void;
}

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
  /** created on the first chunk that needs it: most streams never split a UTF-8 sequence */
  private decoder: InstanceType<typeof TextDecoder> | undefined;
  /** the streaming decoder may hold the first bytes of a character split across chunks */
  private midSequence = false;
  private partial = '';
  /** the previous chunk ended with CR: a LF at the start of the next one belongs to the same terminator */
  private skipLf = false;
  private lineNo = 0;
  /**
   * The data lines of the event being read: the first one alone (the common single-line event needs no array
   * and no join), the rest in `moreData`, or undefined when the event has no data line yet.
   */
  private data: string | undefined;
  private moreData: string[] | undefined;
  private eventType = '';
  private lastId: string | undefined;
  private sawField = false;
  private sink: SseSink = NO_SINK;

  /** Feed one chunk; returns the events it completed (possibly none). */
  push(chunk: Uint8Array | string): SseEvent[] {
    const collect = new Collector();
    this.feed(chunk, collect);
    return collect.events;
  }

  /** Feed one chunk; each event it completes goes to `sink`, in order, before this returns. */
  feed(chunk: Uint8Array | string, sink: SseSink): void {
    this.sink = sink;
    this.scan(typeof chunk === 'string' ? chunk : this.decode(chunk));
    this.sink = NO_SINK;
  }

  /** The stream ended: flush the decoder; an unterminated event is discarded (as the spec says) and reported. */
  end(): SseEvent[] {
    const collect = new Collector();
    this.finish(collect);
    return collect.events;
  }

  /** `end()` delivering to a sink. */
  finish(sink: SseSink): void {
    this.sink = sink;
    const rest = this.decoder?.decode() ?? '';
    if (rest) this.scan(rest);
    if (this.partial.length > 0) {
      this.problem(`stream ended inside a line: "${clip(this.partial)}"`);
      this.partial = '';
    }
    if (this.sawField) this.problem('stream ended before the blank line that completes an event');
    this.data = undefined;
    this.moreData = undefined;
    this.sawField = false;
    this.sink = NO_SINK;
  }

  /**
   * Bytes to text. A chunk ending in an ASCII byte (SSE events end in "\n") cannot split a UTF-8 sequence, so
   * Buffer's native decoding is used; otherwise (and until a chunk ends cleanly again) the streaming decoder
   * carries the partial sequence over to the next chunk.
   */
  private decode(chunk: Uint8Array): string {
    const last = chunk.length > 0 ? (chunk[chunk.length - 1] as number) : 0;
    if (!this.midSequence && last < 0x80 && Buffer.isBuffer(chunk)) return chunk.toString('utf8');
    this.decoder ??= new TextDecoder('utf-8');
    const text = this.decoder.decode(chunk, { stream: true });
    this.midSequence = last >= 0x80;
    return text;
  }

  private scan(text: string): void {
    let start = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === 10) start = 1;
    }
    const n = text.length;
    if (text.indexOf('\r', start) < 0) {
      // Fast path for LF-only streams (what servers send): native indexOf instead of a loop per character, and
      // a whole "data: " line sliced straight out of the chunk (one string per line, not two).
      for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
        if (this.partial.length > 0) {
          const line = this.partial + text.slice(start, nl);
          this.partial = '';
          this.line(line);
        } else if (nl === start) {
          this.lineNo++;
          this.dispatch();
        } else if (nl - start >= 6 && isDataPrefix(text, start)) {
          this.lineNo++;
          this.dataLine(text.slice(start + 6, nl));
        } else {
          this.line(text.slice(start, nl));
        }
        start = nl + 1;
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
      this.dataLine(line.slice(6));
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
        this.dataLine(value);
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

  private dataLine(value: string): void {
    this.sawField = true;
    if (this.data === undefined) this.data = value;
    else if (this.moreData === undefined) this.moreData = [value];
    else this.moreData.push(value);
  }

  private dispatch(): void {
    this.sawField = false;
    const first = this.data;
    if (first === undefined) {
      this.eventType = '';
      return;
    }
    const data = this.moreData === undefined ? first : `${first}\n${this.moreData.join('\n')}`;
    const type = this.eventType || 'message';
    this.data = undefined;
    this.moreData = undefined;
    this.eventType = '';
    this.sink.onEvent(data, type, this.lastId);
  }

  private problem(text: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(text);
  }
}

/** "data: " at `at`, compared by char code: no substring is made for the test. */
function isDataPrefix(text: string, at: number): boolean {
  return (
    text.charCodeAt(at) === 100 &&
    text.charCodeAt(at + 1) === 97 &&
    text.charCodeAt(at + 2) === 116 &&
    text.charCodeAt(at + 3) === 97 &&
    text.charCodeAt(at + 4) === 58 &&
    text.charCodeAt(at + 5) === 32
  );
}

/** Gathers events as objects, for `push()`/`end()`. */
class Collector implements SseSink {
  readonly events: SseEvent[] = [];
  onEvent(data: string, event: string, id: string | undefined): void {
    const e: SseEvent = { event, data };
    if (id !== undefined) e.id = id;
    this.events.push(e);
  }
}

const NO_SINK: SseSink = {
  onEvent() {
    // only reachable if scan() ran outside feed()/finish(), which the class never does
    throw new Error('SseParser: event completed with no sink');
  },
};

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
