// Firehose's two Snappy streams, read in the browser for the lake viewer's preview of a
// stream's .snappy objects (the server writes them: src/streams/snappy_streams.h):
// snappy-java's (its header, then a 32-bit big-endian length before each raw block) and
// Hadoop's (per block its input's length, then pieces each with its length). Only what a
// preview needs: the first `limit` bytes of output, from the first bytes of an object
// that may be cut.

export const SNAPPY_JAVA_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];

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
  if (length > 256 * 1024) throw new Error(`a Snappy block of ${length} bytes (at most 256 KiB)`);
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

const be32 = (bytes, at) => bytes[at] * 2 ** 24 + ((bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);

// Up to `limit` bytes of a .snappy object's output, from its first bytes: {bytes, cut,
// error} as the viewer's inflate gives them (cut when there is more, or the input ends
// inside a block).
export function unsnappy(bytes, limit) {
  const java = SNAPPY_JAVA_MAGIC.every((b, i) => bytes[i] === b);
  const chunks = [];
  let n = 0;
  let at = java ? 16 : 0;
  let cut = false;
  let error = null;
  let blockLeft = 0;  // Hadoop: what the block being read still owes
  while (at < bytes.length) {
    if (n > limit) { cut = true; break; }
    if (!java && blockLeft === 0) {
      if (bytes.length - at < 4) { cut = true; break; }
      blockLeft = be32(bytes, at);
      at += 4;
      continue;
    }
    if (bytes.length - at < 4) { cut = true; break; }
    const length = be32(bytes, at);
    if (bytes.length - at - 4 < length) { cut = true; break; }
    try {
      const piece = block(bytes.subarray(at + 4, at + 4 + length));
      chunks.push(piece);
      n += piece.length;
      if (!java) {
        if (piece.length > blockLeft) throw new Error('a Hadoop block longer than announced');
        blockLeft -= piece.length;
      }
    } catch (e) {
      error = new Error(`${e.message}, at byte ${at}`);
      break;
    }
    at += 4 + length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return { bytes: out.subarray(0, limit), cut: cut || n > limit, error };
}
