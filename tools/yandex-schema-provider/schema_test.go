// Tests of schema.go: the whole schema converts, and converting it back gives the JSON it came from (every
// type, flag, nesting mode, min/max and description survives); malformed input fails naming the place.
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestSchemaHasEveryResourceAndDataSource(t *testing.T) {
	s := loadSchemas(t)
	if len(s.Resources) != 238 || len(s.DataSources) != 148 {
		t.Fatalf("%d resources, %d data sources; want 238, 148", len(s.Resources), len(s.DataSources))
	}
	for _, name := range []string{"yandex_vpc_network", "yandex_vpc_subnet", "yandex_lockbox_secret", "yandex_compute_instance_group", "yandex_vpc_security_group"} {
		if s.Resources[name] == nil {
			t.Errorf("resource %s missing", name)
		}
	}
	if s.DataSources["yandex_compute_image"] == nil {
		t.Error("data source yandex_compute_image missing")
	}
	if v := s.Resources["yandex_lockbox_secret"].Version; v != 1 {
		t.Errorf("yandex_lockbox_secret schema version %d, want 1", v)
	}
}

func TestSchemaKeepsFlagsNestingAndLimits(t *testing.T) {
	s := loadSchemas(t)
	token := findAttr(s.Provider.Block, "token")
	if token == nil || !token.Optional || !token.Sensitive || token.Required || token.Computed || !token.Type.Equal(tftypes.String) {
		t.Fatalf("provider token: %+v", token)
	}
	ig := s.Resources["yandex_compute_instance_group"].Block
	scale := findBlock(ig, "scale_policy")
	if scale == nil || scale.Nesting != tfprotov6.SchemaNestedBlockNestingModeList || scale.MinItems != 1 || scale.MaxItems != 1 {
		t.Fatalf("scale_policy: %+v", scale)
	}
	pps := findBlock(s.Resources["yandex_lockbox_secret"].Block, "password_payload_specification")
	if pps == nil || pps.MaxItems != 1 || findAttr(pps.Block, "password_key") == nil || !findAttr(pps.Block, "password_key").Required {
		t.Fatalf("password_payload_specification: %+v", pps)
	}
	ingress := findBlock(s.Resources["yandex_vpc_security_group"].Block, "ingress")
	if ingress == nil || ingress.Nesting != tfprotov6.SchemaNestedBlockNestingModeSet {
		t.Fatalf("ingress: %+v", ingress)
	}
	hosts := findAttr(s.Resources["yandex_mdb_postgresql_cluster_v2"].Block, "hosts")
	if hosts == nil || hosts.NestedType == nil || hosts.NestedType.Nesting != tfprotov6.SchemaObjectNestingModeMap || !hosts.Required {
		t.Fatalf("yandex_mdb_postgresql_cluster_v2.hosts: %+v", hosts)
	}
	if _, ok := hosts.ValueType().(tftypes.Map); !ok {
		t.Fatalf("hosts type %s, want a map of objects", hosts.ValueType())
	}
}

// TestSchemaRoundTrip converts every schema back to the JSON of `tofu providers schema -json` and compares it
// with the file, so nothing the file says is lost or changed.
func TestSchemaRoundTrip(t *testing.T) {
	s := loadSchemas(t)
	var file struct {
		ProviderSchemas map[string]struct {
			Provider          any            `json:"provider"`
			ResourceSchemas   map[string]any `json:"resource_schemas"`
			DataSourceSchemas map[string]any `json:"data_source_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(schemaBytes, &file); err != nil {
		t.Fatal(err)
	}
	want := file.ProviderSchemas[providerAddress]
	check := func(what string, original any, converted *tfprotov6.Schema) {
		t.Helper()
		got := normalizeJSON(t, schemaToJSON(converted))
		if w := normalizeJSON(t, original); !reflect.DeepEqual(got, w) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(w)
			t.Errorf("%s differs after conversion:\n got %.600s\nwant %.600s", what, gj, wj)
		}
	}
	check("provider", want.Provider, s.Provider)
	for name, original := range want.ResourceSchemas {
		check("resource "+name, original, s.Resources[name])
	}
	for name, original := range want.DataSourceSchemas {
		check("data source "+name, original, s.DataSources[name])
	}
}

func TestSchemaErrorsNameThePlace(t *testing.T) {
	cases := map[string]string{
		`{"provider_schemas": {}}`: "no provider_schemas",
		`{"provider_schemas": {"registry.opentofu.org/yandex-cloud/yandex": {"provider": {"block": {}}, "resource_schemas": {"yandex_x": {"block": {"block_types": {"b": {"nesting_mode": "bag", "block": {}}}}}}}}}`:                           "resource yandex_x.b: unknown block nesting_mode",
		`{"provider_schemas": {"registry.opentofu.org/yandex-cloud/yandex": {"provider": {"block": {"attributes": {"a": {"type": "strin"}}}}}}}`:                                                                                                "provider.a: type",
		`{"provider_schemas": {"registry.opentofu.org/yandex-cloud/yandex": {"provider": {"block": {}}, "data_source_schemas": {"yandex_d": {"block": {"attributes": {"n": {"nested_type": {"nesting_mode": "tuple", "attributes": {}}}}}}}}}}`: "data source yandex_d.n: unknown nested_type nesting_mode",
		`{"provider_schemas": {"registry.opentofu.org/yandex-cloud/yandex": {"provider": {"block": {"attributes": {"a": {}}}}}}}`:                                                                                                               "provider.a: neither type nor nested_type",
	}
	for input, want := range cases {
		if _, err := parseSchemas([]byte(input)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseSchemas(%s) = %v, want an error containing %q", input, err, want)
		}
	}
}

func findAttr(b *tfprotov6.SchemaBlock, name string) *tfprotov6.SchemaAttribute {
	for _, a := range b.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

func findBlock(b *tfprotov6.SchemaBlock, name string) *tfprotov6.SchemaNestedBlock {
	for _, nb := range b.BlockTypes {
		if nb.TypeName == name {
			return nb
		}
	}
	return nil
}

// schemaToJSON writes a converted schema in the shape of `tofu providers schema -json`.
func schemaToJSON(s *tfprotov6.Schema) map[string]any {
	return map[string]any{"version": s.Version, "block": blockToJSON(s.Block)}
}

func blockToJSON(b *tfprotov6.SchemaBlock) map[string]any {
	out := map[string]any{"description": b.Description, "description_kind": kindToJSON(b.DescriptionKind), "deprecated": b.Deprecated}
	if len(b.Attributes) > 0 {
		out["attributes"] = attributesToJSON(b.Attributes)
	}
	if len(b.BlockTypes) > 0 {
		types := map[string]any{}
		for _, nb := range b.BlockTypes {
			types[nb.TypeName] = map[string]any{
				"nesting_mode": strings.ToLower(nb.Nesting.String()),
				"block":        blockToJSON(nb.Block),
				"min_items":    nb.MinItems,
				"max_items":    nb.MaxItems,
			}
		}
		out["block_types"] = types
	}
	return out
}

func attributesToJSON(attrs []*tfprotov6.SchemaAttribute) map[string]any {
	out := map[string]any{}
	for _, a := range attrs {
		j := map[string]any{
			"description": a.Description, "description_kind": kindToJSON(a.DescriptionKind),
			"required": a.Required, "optional": a.Optional, "computed": a.Computed,
			"sensitive": a.Sensitive, "deprecated": a.Deprecated, "write_only": a.WriteOnly,
		}
		if a.NestedType != nil {
			j["nested_type"] = map[string]any{
				"nesting_mode": strings.ToLower(a.NestedType.Nesting.String()),
				"attributes":   attributesToJSON(a.NestedType.Attributes),
			}
		} else {
			typ, err := a.Type.MarshalJSON()
			if err != nil {
				panic(err)
			}
			j["type"] = json.RawMessage(typ)
		}
		out[a.Name] = j
	}
	return out
}

func kindToJSON(k tfprotov6.StringKind) string {
	if k == tfprotov6.StringKindMarkdown {
		return "markdown"
	}
	return "plain"
}

// normalizeJSON round-trips through JSON and drops zero values (false, "", 0, empty maps), which the file
// leaves out, and description_kind "plain", the default.
func normalizeJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return dropZero(out)
}

func dropZero(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			e = dropZero(e)
			if k == "description_kind" && e == "plain" {
				e = nil
			}
			switch x := e.(type) {
			case nil:
				delete(v, k)
				continue
			case bool:
				if !x {
					delete(v, k)
					continue
				}
			case string:
				if x == "" {
					delete(v, k)
					continue
				}
			case float64:
				if x == 0 {
					delete(v, k)
					continue
				}
			case map[string]any:
				if len(x) == 0 && k != "block" {
					delete(v, k)
					continue
				}
			}
			v[k] = e
		}
		return v
	case []any:
		for i := range v {
			v[i] = dropZero(v[i])
		}
	}
	return v
}

func TestEmbeddedSchemaIsTheSharedOne(t *testing.T) {
	loadSchemas(t)
	shared, err := os.ReadFile(sharedSchemaPath)
	if err != nil {
		t.Skipf("skipped: no shared copy to compare with (%v); the embedded one is used as committed", err)
	}
	if !bytes.Equal(shared, schemaBytes) {
		t.Errorf("schema/yandex-0.219.0.json.gz differs from %s: regenerate it with gzip -9 -n (schema/README.md)", sharedSchemaPath)
	}
}
