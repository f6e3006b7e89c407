/** One block of a text/event-stream body, as a browser's EventSource reads it. */
export type SseBlock = { event: string; data: any };

/** A block's event and JSON data; null for a keep-alive comment. */
export function parseBlock(block: string): SseBlock | null {
  let event = '';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trim());
  }
  if (!event) return null;
  return { event, data: data.join('\n') ? JSON.parse(data.join('\n')) : null };
}

/** Every event of a whole stream body. */
export function sseEvents(text: string): SseBlock[] {
  return text
    .split(/\r?\n\r?\n/)
    .map(parseBlock)
    .filter((b): b is SseBlock => b !== null);
}
