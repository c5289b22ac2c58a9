import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

const datas = (events: { data: string }[]) => events.map((e) => e.data);

function feedAll(parser: SseParser, chunks: (string | Uint8Array)[]): string[] {
  const out: string[] = [];
  for (const c of chunks) out.push(...datas(parser.push(c)));
  out.push(...datas(parser.end()));
  return out;
}

describe('SseParser', () => {
  const stream = 'data: {"a":1}\n\n: keep-alive\n\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n';

  it('parses events, joins multi-line data and skips comments', () => {
    const p = new SseParser();
    expect(feedAll(p, [stream])).toEqual(['{"a":1}', 'line one\nline two', '[DONE]']);
    expect(p.problems).toEqual([]);
  });

  it('gives the same events whatever the chunk boundaries', () => {
    const whole = feedAll(new SseParser(), [stream]);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(feedAll(new SseParser(), [stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
    }
    expect(feedAll(new SseParser(), stream.split(''))).toEqual(whole);
  });

  it('handles CRLF and bare CR line endings, also split between CR and LF', () => {
    const crlf = 'data: x\r\n\r\ndata: y\r\r';
    expect(feedAll(new SseParser(), [crlf])).toEqual(['x', 'y']);
    expect(feedAll(new SseParser(), ['data: x\r', '\n\r', '\ndata: y\r\n\r\n'])).toEqual(['x', 'y']);
  });

  it('decodes UTF-8 split across byte chunks', () => {
    const bytes = new TextEncoder().encode('data: héllo 🌙\n\n');
    const p = new SseParser();
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...datas(p.push(bytes.subarray(i, i + 1))));
    expect(out).toEqual(['héllo 🌙']);
  });

  it('keeps the event type and id', () => {
    const [ev] = new SseParser().push('event: error\nid: 7\ndata: boom\n\n');
    expect(ev).toEqual({ event: 'error', id: '7', data: 'boom' });
  });

  it('reports unknown fields as framing problems', () => {
    const p = new SseParser();
    p.push('garbage here\n\ndata: ok\n\n');
    expect(p.problems[0]).toMatch(/unknown SSE field "garbage here"/);
  });

  it('reports a stream that ends inside an event and drops that event', () => {
    const p = new SseParser();
    expect(feedAll(p, ['data: complete\n\ndata: cut'])).toEqual(['complete']);
    expect(p.problems.join(' ')).toMatch(/ended inside a line/);
  });

  it('delivers the same events to a sink as push() returns', () => {
    const stream = 'data: a\n\nevent: e\nid: 7\ndata: b\ndata: c\n\n: ping\ndata: d\n\n';
    const seen: { data: string; event: string; id?: string }[] = [];
    const parser = new SseParser();
    const sink = {
      onEvent(data: string, event: string, id: string | undefined) {
        seen.push(id === undefined ? { data, event } : { data, event, id });
      },
    };
    parser.feed(stream.slice(0, 13), sink);
    parser.feed(stream.slice(13), sink);
    parser.finish(sink);
    expect(seen).toEqual(new SseParser().push(stream));
  });
});
