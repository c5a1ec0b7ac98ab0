package main

import (
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// jsString quotes s as JavaScript's JSON.stringify does (not encoding/json, which also escapes
// <, >, &, U+2028 and U+2029), so the shim's own answers match the Node plugin's byte for byte.
func jsString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00`)
					b.WriteByte(hexDigits[c>>4])
					b.WriteByte(hexDigits[c&0xf])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		// Invalid UTF-8 becomes U+FFFD, as Node's UTF-8 decoding of stdin makes it.
		b.WriteRune(r)
		i += size
	}
	b.WriteByte('"')
	return b.String()
}
