/**
 * MurmurHash3 x86_32 (Austin Appleby, public domain), seed 0, over the UTF-8 bytes of a
 * string. murmurhash3js hashes JS char codes (& 0xff), which equals hashing bytes only for
 * ASCII; other strings are first turned into a one-char-per-byte string of their UTF-8.
 */
import murmur from 'murmurhash3js';

// One encoder for the process: TextEncoder is stateless and exists in browsers and Node.
const encoder = new TextEncoder();

/** True when every UTF-16 unit is < 0x80, so char codes are already the UTF-8 bytes. */
function isAscii(input: string): boolean {
  for (let i = 0; i < input.length; i++) {
    if (input.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/** The UTF-8 bytes of `input` as a string of char codes 0..255 (a "binary string"). */
function utf8ByteString(input: string): string {
  const bytes = encoder.encode(input);
  let out = '';
  // Chunked so very long inputs cannot overflow the argument limit of fromCharCode.
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8192)));
  }
  return out;
}

/**
 * MurmurHash3 x86_32, seed 0, of the UTF-8 bytes of `input`, as an unsigned 32-bit integer.
 * Examples: "" -> 0, "hello" -> 613153351 (0x248bfa47).
 */
export function murmurhash3(input: string): number {
  const bytes = isAscii(input) ? input : utf8ByteString(input);
  return murmur.x86.hash32(bytes, 0) >>> 0;
}
