const NON_ASCII = /[^\x00-\x7f]/;

/** Is every char of `s` ASCII (so its UTF-16 code units are its UTF-8 bytes)? A native regex scan. */
export function isAscii(s: string): boolean {
  return !NON_ASCII.test(s);
}

/** UTF-8 byte length of a well-formed string, without encoding it (size limits on hot paths). */
export function utf8Length(s: string): number {
  // Most content is ASCII: the regex engine scans it natively (the loop below was 2% of a publish).
  if (isAscii(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Does `s` hold a lone UTF-16 surrogate (a string with no UTF-8 form)? String.isWellFormed (native in
 * Node 20+, Bun and Deno) is 10-25 times faster than a /\p{Cs}/u scan on the write path.
 */
export function hasLoneSurrogate(s: string): boolean {
  return !s.isWellFormed();
}
