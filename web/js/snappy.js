// Snappy's framing format, read in the browser for the lake viewer's preview of a
// stream's .snappy objects (the server writes them: src/streams/snappy_frames.h). Only
// what a preview needs: the first `limit` bytes of output, from the first bytes of an
// object that may be cut; the chunks' CRCs are not checked (the crawler's reads do).

export const SNAPPY_MAGIC = [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59];

// One raw Snappy block (a varint of the output's length, then literals and copies).
function block(src) {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw new Error('a Snappy block without its length');
    const b = src[pos++];
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > 65536) throw new Error(`a Snappy block of ${length} bytes (at most 65536)`);
  const out = new Uint8Array(length);
  let op = 0;
  const need = (n) => { if (pos + n > src.length) throw new Error('a Snappy block cut short'); };
  while (pos < src.length) {
    const tag = src[pos++];
    if ((tag & 3) === 0) {  // literal
      let n = tag >> 2;
      if (n >= 60) {
        const extra = n - 59;
        need(extra);
        n = 0;
        for (let i = 0; i < extra; i++) n += src[pos++] * 2 ** (8 * i);
      }
      n += 1;
      need(n);
      if (op + n > length) throw new Error('a Snappy literal past the block\'s length');
      out.set(src.subarray(pos, pos + n), op);
      pos += n;
      op += n;
      continue;
    }
    let n;
    let offset;
    if ((tag & 3) === 1) {
      need(1);
      n = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | src[pos++];
    } else if ((tag & 3) === 2) {
      need(2);
      n = (tag >> 2) + 1;
      offset = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else {
      need(4);
      n = (tag >> 2) + 1;
      offset = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) + src[pos + 3] * 2 ** 24;
      pos += 4;
    }
    if (offset === 0 || offset > op || op + n > length) throw new Error('a Snappy copy out of range');
    for (let i = 0; i < n; i++, op++) out[op] = out[op - offset];  // may overlap itself
  }
  if (op !== length) throw new Error(`a Snappy block of ${op} bytes where ${length} were announced`);
  return out;
}

// Up to `limit` bytes of the framed stream's output, from its first bytes: {bytes, cut,
// error} as the viewer's gunzip gives them (cut when there is more, or the input ends
// inside a chunk).
export function unsnappy(bytes, limit) {
  const chunks = [];
  let n = 0;
  let at = SNAPPY_MAGIC.length;
  let cut = false;
  let error = null;
  while (at < bytes.length) {
    if (n > limit) { cut = true; break; }
    if (bytes.length - at < 4) { cut = true; break; }
    const type = bytes[at];
    const length = bytes[at + 1] | (bytes[at + 2] << 8) | (bytes[at + 3] << 16);
    if (bytes.length - at - 4 < length) { cut = true; break; }
    const body = bytes.subarray(at + 4, at + 4 + length);
    if (type === 0x00 || type === 0x01) {
      if (length < 4) { error = new Error(`a Snappy chunk without its CRC at byte ${at}`); break; }
      try {
        const piece = type === 0x00 ? block(body.subarray(4)) : body.subarray(4);
        chunks.push(piece);
        n += piece.length;
      } catch (e) {
        error = new Error(`${e.message}, in the chunk at byte ${at}`);
        break;
      }
    } else if (type < 0x80) {
      error = new Error(`a reserved Snappy chunk type (${type}) at byte ${at}`);
      break;
    }  // the stream identifier again, padding, skippable chunks
    at += 4 + length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return { bytes: out.subarray(0, limit), cut: cut || n > limit, error };
}
