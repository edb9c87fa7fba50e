// The first entry of a ZIP archive, read in the browser for the lake viewer's preview of a
// stream's .zip objects (Firehose's ZIP: an archive of one deflated entry; the server
// writes them: src/streams/zip_archive.h). Only what a preview needs: where the entry's
// data starts in the object's first bytes, from its local file header, and how it is
// stored; the viewer inflates it.

export const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

const le16 = (bytes, at) => bytes[at] | (bytes[at + 1] << 8);
const le32 = (bytes, at) => le16(bytes, at) + le16(bytes, at + 2) * 65536;

// {name, deflated, data, cut}: the entry's data as stored (cut when the object's first
// bytes end inside it, or its size is in a data descriptor after it); throws naming what
// is wrong.
export function zipFirstEntry(bytes) {
  if (bytes.length < 30 || !ZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new Error('no ZIP local file header at byte 0');
  }
  const flags = le16(bytes, 6);
  const method = le16(bytes, 8);
  if (flags & 1) throw new Error('its first entry is encrypted');
  if (method !== 0 && method !== 8) {
    throw new Error(`its first entry uses compression method ${method} (only stored and deflated are shown)`);
  }
  const nameLength = le16(bytes, 26);
  const start = 30 + nameLength + le16(bytes, 28);
  if (start > bytes.length) throw new Error('its first local file header is cut short');
  const name = new TextDecoder().decode(bytes.subarray(30, 30 + nameLength));
  const described = (flags & 8) !== 0;  // sizes in a data descriptor after the data
  if (described && method === 0) throw new Error('its first entry is stored with its size after its data');
  const size = described ? bytes.length - start : le32(bytes, 18);
  const end = Math.min(bytes.length, start + size);
  return { name, deflated: method === 8, data: bytes.subarray(start, end), cut: described || end < start + size };
}
