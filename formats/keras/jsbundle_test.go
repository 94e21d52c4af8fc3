package keras

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// The nsfwjs npm package ships its TF.js models as browserify bundles:
// model.min.js sets module.exports to the model.json object written as a
// minified JavaScript literal, and each group*-shard*.min.js exports the
// shard's bytes as one base64 string. The helpers below undo that, for tests.

// bundleExport returns the source text of the value a bundle assigns to
// "<x>.exports=".
func bundleExport(src string) (string, error) {
	// The UMD wrapper assigns module.exports=e(); the payload follows the
	// last ".exports=" that is followed by '{' or '"'.
	start := -1
	for k := 0; ; {
		j := strings.Index(src[k:], ".exports=")
		if j < 0 {
			break
		}
		p := k + j + len(".exports=")
		if p < len(src) && (src[p] == '{' || src[p] == '"') {
			start = p
		}
		k = p
	}
	if start < 0 {
		return "", fmt.Errorf("no exported object or string literal")
	}
	end, err := literalEnd(src, start)
	if err != nil {
		return "", err
	}
	return src[start:end], nil
}

// literalEnd returns the index just past the JS literal starting at i.
func literalEnd(s string, i int) (int, error) {
	depth := 0
	for k := i; k < len(s); k++ {
		switch c := s[k]; c {
		case '"', '\'':
			e, err := stringEnd(s, k)
			if err != nil {
				return 0, err
			}
			if depth == 0 {
				return e, nil
			}
			k = e - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return k + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("unterminated literal")
}

// stringEnd returns the index just past the quoted string starting at i.
func stringEnd(s string, i int) (int, error) {
	q := s[i]
	for k := i + 1; k < len(s); k++ {
		switch s[k] {
		case '\\':
			k++
		case q:
			return k + 1, nil
		}
	}
	return 0, fmt.Errorf("unterminated string")
}

// jsLiteralToJSON rewrites a minified JS object literal as JSON: it quotes
// bare keys, turns !0 and !1 into true and false, and adds the zero of
// numbers written ".5". Strings must use double quotes.
func jsLiteralToJSON(s string) ([]byte, error) {
	var b bytes.Buffer
	isIdent := func(c byte) bool {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case c == '"':
			e, err := stringEnd(s, k)
			if err != nil {
				return nil, err
			}
			b.WriteString(s[k:e])
			k = e - 1
		case c == '\'':
			return nil, fmt.Errorf("single-quoted string at %d", k)
		case c == '!' && k+1 < len(s) && (s[k+1] == '0' || s[k+1] == '1'):
			if s[k+1] == '0' {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
			k++
		case c == '.' && k+1 < len(s) && s[k+1] >= '0' && s[k+1] <= '9' && (k == 0 || !isIdent(s[k-1])):
			b.WriteString("0.")
		case isIdent(c) && !(c >= '0' && c <= '9'):
			e := k
			for e < len(s) && isIdent(s[e]) {
				e++
			}
			word := s[k:e]
			if e < len(s) && s[e] == ':' {
				b.WriteString(`"` + word + `"`)
			} else {
				b.WriteString(word)
			}
			k = e - 1
		case c >= '0' && c <= '9':
			e := k
			for e < len(s) && (isIdent(s[e]) || s[e] == '.' || (s[e] == '-' || s[e] == '+') && (s[e-1] == 'e' || s[e-1] == 'E')) {
				e++
			}
			b.WriteString(s[k:e])
			k = e - 1
		default:
			b.WriteByte(c)
		}
	}
	if !json.Valid(b.Bytes()) {
		return nil, fmt.Errorf("the rewritten literal is not valid JSON")
	}
	return b.Bytes(), nil
}

// decodeModelBundle returns the model.json bytes of a model.min.js bundle.
func decodeModelBundle(src string) ([]byte, error) {
	lit, err := bundleExport(src)
	if err != nil {
		return nil, err
	}
	return jsLiteralToJSON(lit)
}

// decodeShardBundle returns the bytes of a group*-shard*.min.js bundle.
func decodeShardBundle(src string) ([]byte, error) {
	lit, err := bundleExport(src)
	if err != nil {
		return nil, err
	}
	if len(lit) < 2 || lit[0] != '"' {
		return nil, fmt.Errorf("shard bundle does not export a string")
	}
	return base64.StdEncoding.DecodeString(lit[1 : len(lit)-1])
}
