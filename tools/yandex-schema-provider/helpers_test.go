// Test helpers: the embedded schema, configurations written as JSON the way OpenTofu sends them, unknown values,
// and generated configurations for any resource.
package main

import (
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// sharedSchemaPath is the schema in shared/ beside the repository (the module is tools/yandex-schema-provider),
// which the committed copy was made from.
var sharedSchemaPath = filepath.Join("..", "..", "..", "shared", "yandex-provider", "schema-0.219.0.json")

var (
	schemaOnce  sync.Once
	schemaBytes []byte
	testSchemas *providerSchemas
	schemaErr   error
)

// loadSchemas returns the embedded schema, converted.
func loadSchemas(t *testing.T) *providerSchemas {
	t.Helper()
	schemaOnce.Do(func() {
		schemaBytes, schemaErr = schemaJSON()
		if schemaErr == nil {
			testSchemas, schemaErr = parseSchemas(schemaBytes)
		}
	})
	if schemaErr != nil {
		t.Fatalf("the embedded schema: %v", schemaErr)
	}
	return testSchemas
}

func resourceSchema(t *testing.T, name string) *tfprotov6.Schema {
	t.Helper()
	s, ok := loadSchemas(t).Resources[name]
	if !ok {
		t.Fatalf("no resource %s in the schema", name)
	}
	return s
}

// configValue reads a configuration written as JSON (absent attributes null) and fills absent nested blocks
// the way OpenTofu does: empty lists, sets and maps, null single blocks.
func configValue(t *testing.T, s *tfprotov6.Schema, js string) tftypes.Value {
	t.Helper()
	v, err := tftypes.ValueFromJSONWithOpts([]byte(js), s.ValueType(), tftypes.ValueFromJSONOpts{}) //nolint:staticcheck
	if err != nil {
		t.Fatalf("config %s: %v", js, err)
	}
	return normalizeBlocks(blockSchema(s.Block), v)
}

func normalizeBlocks(s objectSchema, v tftypes.Value) tftypes.Value {
	if !v.IsKnown() || v.IsNull() {
		return v
	}
	attrs := objectAttrs(v)
	for _, b := range s.blocks {
		bv := attrs[b.TypeName]
		inner := blockSchema(b.Block)
		switch blockNesting(b.Nesting) {
		case nestingSingle:
			attrs[b.TypeName] = normalizeBlocks(inner, bv)
		case nestingMap:
			m := map[string]tftypes.Value{}
			for k, e := range objectAttrs(bv) {
				m[k] = normalizeBlocks(inner, e)
			}
			attrs[b.TypeName] = tftypes.NewValue(bv.Type(), m)
		default:
			els := []tftypes.Value{}
			for _, e := range elements(bv) {
				els = append(els, normalizeBlocks(inner, e))
			}
			attrs[b.TypeName] = tftypes.NewValue(bv.Type(), els)
		}
	}
	return tftypes.NewValue(v.Type(), attrs)
}

// withUnknown returns v with the value at path (attribute names and list indexes, dot-separated) unknown.
func withUnknown(t *testing.T, v tftypes.Value, path string) tftypes.Value {
	t.Helper()
	found := false
	out, err := tftypes.Transform(v, func(p *tftypes.AttributePath, e tftypes.Value) (tftypes.Value, error) {
		if pathString(p) == path {
			found = true
			return tftypes.NewValue(e.Type(), tftypes.UnknownValue), nil
		}
		return e, nil
	})
	if err != nil || !found {
		t.Fatalf("withUnknown %s: found=%v err=%v", path, found, err)
	}
	return out
}

func pathString(p *tftypes.AttributePath) string {
	var parts []string
	for _, step := range p.Steps() {
		switch s := step.(type) {
		case tftypes.AttributeName:
			parts = append(parts, string(s))
		case tftypes.ElementKeyInt:
			parts = append(parts, fmt.Sprint(int64(s)))
		case tftypes.ElementKeyString:
			parts = append(parts, string(s))
		default:
			parts = append(parts, "*")
		}
	}
	return strings.Join(parts, ".")
}

// attr returns the value at a dot-separated path of attribute names, list indexes and map keys.
func attr(t *testing.T, v tftypes.Value, path string) tftypes.Value {
	t.Helper()
	for _, step := range strings.Split(path, ".") {
		if m := objectAttrs(v); m != nil {
			e, ok := m[step]
			if !ok {
				t.Fatalf("%s: no %q", path, step)
			}
			v = e
			continue
		}
		var i int
		if _, err := fmt.Sscan(step, &i); err != nil || i >= len(elements(v)) {
			t.Fatalf("%s: cannot step into %q of %s", path, step, v)
		}
		v = elements(v)[i]
	}
	return v
}

func str(t *testing.T, v tftypes.Value) string {
	t.Helper()
	var s string
	if err := v.As(&s); err != nil {
		t.Fatalf("not a string: %s", v)
	}
	return s
}

// genConfig makes a configuration of a resource: required attributes only and min_items blocks (full=false),
// or every settable attribute and one of every block (full=true). Values are plain: strings "v-<name>",
// numbers 1, bools true, one-element collections.
func genConfig(s *tfprotov6.Schema, full bool) tftypes.Value {
	return genObject(blockSchema(s.Block), s.ValueType().(tftypes.Object), full)
}

func genObject(s objectSchema, typ tftypes.Object, full bool) tftypes.Value {
	out := map[string]tftypes.Value{}
	for _, a := range s.attributes {
		at := typ.AttributeTypes[a.Name]
		settable := a.Required || (full && a.Optional && !a.WriteOnly)
		if !settable {
			out[a.Name] = tftypes.NewValue(at, nil)
			continue
		}
		if a.NestedType != nil {
			out[a.Name] = genNested(objectNesting(a.NestedType.Nesting), objectSchema{attributes: a.NestedType.Attributes}, at, 1, full)
			continue
		}
		out[a.Name] = genPlain(at, a.Name)
	}
	for _, b := range s.blocks {
		bt := typ.AttributeTypes[b.TypeName]
		n := int(b.MinItems)
		if full && n == 0 {
			n = 1
		}
		if b.Nesting == tfprotov6.SchemaNestedBlockNestingModeGroup {
			n = 1
		}
		out[b.TypeName] = genNested(blockNesting(b.Nesting), blockSchema(b.Block), bt, n, full)
	}
	return tftypes.NewValue(typ, out)
}

func genNested(n nesting, s objectSchema, typ tftypes.Type, count int, full bool) tftypes.Value {
	switch n {
	case nestingSingle:
		if count == 0 {
			return tftypes.NewValue(typ, nil)
		}
		return genObject(s, typ.(tftypes.Object), full)
	case nestingMap:
		m := map[string]tftypes.Value{}
		for i := 0; i < count; i++ {
			m[fmt.Sprintf("k%d", i)] = genObject(s, typ.(tftypes.Map).ElementType.(tftypes.Object), full)
		}
		return tftypes.NewValue(typ, m)
	}
	var et tftypes.Type
	if l, ok := typ.(tftypes.List); ok {
		et = l.ElementType
	} else {
		et = typ.(tftypes.Set).ElementType
	}
	els := []tftypes.Value{}
	for i := 0; i < count; i++ {
		e := genObject(s, et.(tftypes.Object), full)
		if i > 0 { // set elements must differ: vary the first string attribute
			e = varyObject(e, i)
		}
		els = append(els, e)
	}
	return tftypes.NewValue(typ, els)
}

func varyObject(v tftypes.Value, i int) tftypes.Value {
	attrs := objectAttrs(v)
	for _, k := range sortedKeys(attrs) {
		if attrs[k].Type().Equal(tftypes.String) && !attrs[k].IsNull() {
			attrs[k] = tftypes.NewValue(tftypes.String, fmt.Sprintf("v-%s-%d", k, i))
			break
		}
	}
	return tftypes.NewValue(v.Type(), attrs)
}

func genPlain(t tftypes.Type, name string) tftypes.Value {
	switch t := t.(type) {
	case tftypes.List:
		return tftypes.NewValue(t, []tftypes.Value{genPlain(t.ElementType, name)})
	case tftypes.Set:
		return tftypes.NewValue(t, []tftypes.Value{genPlain(t.ElementType, name)})
	case tftypes.Map:
		return tftypes.NewValue(t, map[string]tftypes.Value{"k": genPlain(t.ElementType, name)})
	case tftypes.Object:
		m := map[string]tftypes.Value{}
		for k, at := range t.AttributeTypes {
			m[k] = genPlain(at, k)
		}
		return tftypes.NewValue(t, m)
	case tftypes.Tuple:
		var els []tftypes.Value
		for _, et := range t.ElementTypes {
			els = append(els, genPlain(et, name))
		}
		return tftypes.NewValue(t, els)
	}
	switch {
	case t.Equal(tftypes.String):
		return tftypes.NewValue(t, "v-"+name)
	case t.Equal(tftypes.Number):
		return tftypes.NewValue(t, big.NewFloat(1))
	case t.Equal(tftypes.Bool):
		return tftypes.NewValue(t, true)
	}
	return tftypes.NewValue(t, nil)
}
