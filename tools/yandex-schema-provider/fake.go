// The fake cloud's answers: what ApplyResourceChange and ReadDataSource return. Every unknown value becomes
// a deterministic fake of its type, so the same configuration gives the same ids in every run: strings are
// `fake-<type>-<8 hex>` from a hash of (resource type, attribute path, the resource's configuration);
// attributes named like an address get a documentation IP address (RFC 5737 192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24; RFC 3849 2001:db8::/32 for IPv6 ones); created_at a fixed RFC 3339 time; numbers 0,
// bools false, lists, sets and maps empty, objects each attribute faked. A string the schema marks sensitive
// (a token, a key, a password) is `FAKE-SENSITIVE-<8 hex>`, so a test can search a plan or a state for any
// value that should never have got there.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// fakeCreatedAt is every faked created_at.
const fakeCreatedAt = "2024-01-01T00:00:00Z"

// applyResource returns the new state: the planned state with every unknown faked (null on destroy).
func applyResource(typeName string, s *tfprotov6.Schema, planned, config tftypes.Value) tftypes.Value {
	if planned.IsNull() {
		return planned
	}
	return newFaker(typeName, s, config).fill(planned, "", "")
}

// readDataSource returns a data source's state: its configuration with every computed value it leaves null
// faked (planned as a create, then filled).
func readDataSource(typeName string, s *tfprotov6.Schema, config tftypes.Value) tftypes.Value {
	planned := planResource(s, tftypes.NewValue(s.ValueType(), nil), config)
	return newFaker(typeName, s, config).fill(planned, "", "")
}

// faker makes the fakes of one resource instance.
type faker struct {
	short     string          // the type without its yandex_ prefix, e.g. vpc-network
	seed      string          // type and canonical configuration, hashed with each attribute path
	sensitive map[string]bool // names of the attributes the schema marks sensitive, at any depth
}

func newFaker(typeName string, s *tfprotov6.Schema, config tftypes.Value) *faker {
	short := strings.ReplaceAll(strings.TrimPrefix(typeName, "yandex_"), "_", "-")
	f := &faker{short: short, seed: typeName + "\x00" + canonical(config), sensitive: map[string]bool{}}
	if s != nil {
		f.collectSensitive(s.Block)
	}
	return f
}

func (f *faker) collectSensitive(b *tfprotov6.SchemaBlock) {
	for _, a := range b.Attributes {
		if a.Sensitive {
			f.sensitive[a.Name] = true
		}
		if a.NestedType != nil {
			f.collectSensitive(&tfprotov6.SchemaBlock{Attributes: a.NestedType.Attributes})
		}
	}
	for _, nb := range b.BlockTypes {
		f.collectSensitive(nb.Block)
	}
}

// fill replaces every unknown inside v. path names v inside the resource (attr.0.attr, set elements by a hash
// of their value, map elements by key); name is the nearest attribute name, which picks the kind of string.
func (f *faker) fill(v tftypes.Value, path, name string) tftypes.Value {
	if !v.IsKnown() {
		return f.fake(v.Type(), path, name)
	}
	if v.IsNull() || v.IsFullyKnown() {
		return v
	}
	switch t := v.Type().(type) {
	case tftypes.Object:
		out := map[string]tftypes.Value{}
		for k, e := range objectAttrs(v) {
			out[k] = f.fill(e, join(path, k), k)
		}
		return tftypes.NewValue(t, out)
	case tftypes.Map:
		out := map[string]tftypes.Value{}
		for k, e := range objectAttrs(v) {
			out[k] = f.fill(e, join(path, k), name)
		}
		return tftypes.NewValue(t, out)
	case tftypes.Set:
		var out []tftypes.Value
		for _, e := range elements(v) {
			out = append(out, f.fill(e, join(path, shortHash(canonical(e))), name))
		}
		return tftypes.NewValue(t, out)
	case tftypes.List, tftypes.Tuple:
		var out []tftypes.Value
		for i, e := range elements(v) {
			out = append(out, f.fill(e, join(path, strconv.Itoa(i)), name))
		}
		return tftypes.NewValue(t, out)
	}
	return v
}

// fake returns a known value of type t for an unknown at path.
func (f *faker) fake(t tftypes.Type, path, name string) tftypes.Value {
	switch t := t.(type) {
	case tftypes.Object:
		out := map[string]tftypes.Value{}
		for k, at := range t.AttributeTypes {
			out[k] = f.fake(at, join(path, k), k)
		}
		return tftypes.NewValue(t, out)
	case tftypes.Tuple:
		out := make([]tftypes.Value, len(t.ElementTypes))
		for i, et := range t.ElementTypes {
			out[i] = f.fake(et, join(path, strconv.Itoa(i)), name)
		}
		return tftypes.NewValue(t, out)
	case tftypes.List, tftypes.Set:
		return tftypes.NewValue(t, []tftypes.Value{})
	case tftypes.Map:
		return tftypes.NewValue(t, map[string]tftypes.Value{})
	}
	switch {
	case t.Equal(tftypes.String):
		return tftypes.NewValue(t, f.fakeString(path, name))
	case t.Equal(tftypes.Number):
		return tftypes.NewValue(t, new(big.Float))
	case t.Equal(tftypes.Bool):
		return tftypes.NewValue(t, false)
	}
	// DynamicPseudoType (not used by this schema): a null, which any type accepts.
	return tftypes.NewValue(t, nil)
}

func (f *faker) fakeString(path, name string) string {
	sum := sha256.Sum256([]byte(f.seed + "\x00" + path))
	switch {
	case f.sensitive[name]:
		return "FAKE-SENSITIVE-" + hex.EncodeToString(sum[:4])
	case name == "created_at":
		return fakeCreatedAt
	case strings.HasSuffix(name, "address") && strings.Contains(name, "v6"):
		return fmt.Sprintf("2001:db8::%x", 1+int(sum[1])%0xfffe)
	case strings.HasSuffix(name, "address"):
		networks := [...]string{"192.0.2.", "198.51.100.", "203.0.113."}
		return networks[int(sum[0])%len(networks)] + strconv.Itoa(1+int(sum[1])%254)
	}
	return "fake-" + f.short + "-" + hex.EncodeToString(sum[:4])
}

func join(path, step string) string {
	if path == "" {
		return step
	}
	return path + "." + step
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// canonical writes a value as text that is the same for equal values: object and map keys and set elements
// sorted, unknowns as ?, nulls as null.
func canonical(v tftypes.Value) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v tftypes.Value) {
	switch {
	case !v.IsKnown():
		b.WriteString("?")
		return
	case v.IsNull():
		b.WriteString("null")
		return
	}
	switch v.Type().(type) {
	case tftypes.Object, tftypes.Map:
		m := objectAttrs(v)
		b.WriteString("{")
		for i, k := range sortedKeys(m) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.Quote(k) + ":")
			writeCanonical(b, m[k])
		}
		b.WriteString("}")
		return
	case tftypes.Set:
		var parts []string
		for _, e := range elements(v) {
			parts = append(parts, canonical(e))
		}
		sort.Strings(parts)
		b.WriteString("<" + strings.Join(parts, ",") + ">")
		return
	case tftypes.List, tftypes.Tuple:
		b.WriteString("[")
		for i, e := range elements(v) {
			if i > 0 {
				b.WriteString(",")
			}
			writeCanonical(b, e)
		}
		b.WriteString("]")
		return
	}
	t := v.Type()
	switch {
	case t.Equal(tftypes.String):
		var s string
		_ = v.As(&s)
		b.WriteString(strconv.Quote(s))
	case t.Equal(tftypes.Number):
		n := new(big.Float)
		_ = v.As(n)
		b.WriteString(n.Text('g', -1))
	case t.Equal(tftypes.Bool):
		var x bool
		_ = v.As(&x)
		b.WriteString(strconv.FormatBool(x))
	default:
		b.WriteString(v.String())
	}
}
