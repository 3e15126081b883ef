// Turns the output of `tofu providers schema -json` into the protocol-6 schemas this plugin serves:
// the provider block, every resource and every data source, with attribute types (tftypes.ParseJSONType),
// nested attributes (nested_type, nesting single/list/set/map), nested blocks (single/group/list/set/map with
// min/max items), the required/optional/computed/sensitive/deprecated/write_only flags and descriptions.
package main

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// providerAddress is the provider this plugin stands in for; providerVersion is the release whose schema it serves.
const (
	providerAddress = "registry.opentofu.org/yandex-cloud/yandex"
	providerVersion = "0.219.0"
)

// providerSchemas is everything the plugin serves, converted once at start.
type providerSchemas struct {
	Provider    *tfprotov6.Schema
	Resources   map[string]*tfprotov6.Schema
	DataSources map[string]*tfprotov6.Schema
}

// The JSON shapes of `tofu providers schema -json` (format_version 1.0).
type jsonSchemaFile struct {
	FormatVersion   string                        `json:"format_version"`
	ProviderSchemas map[string]jsonProviderSchema `json:"provider_schemas"`
}

type jsonProviderSchema struct {
	Provider          *jsonSchema            `json:"provider"`
	ResourceSchemas   map[string]*jsonSchema `json:"resource_schemas"`
	DataSourceSchemas map[string]*jsonSchema `json:"data_source_schemas"`
}

type jsonSchema struct {
	Version int64      `json:"version"`
	Block   *jsonBlock `json:"block"`
}

type jsonBlock struct {
	Attributes      map[string]*jsonAttribute `json:"attributes"`
	BlockTypes      map[string]*jsonBlockType `json:"block_types"`
	Description     string                    `json:"description"`
	DescriptionKind string                    `json:"description_kind"`
	Deprecated      bool                      `json:"deprecated"`
}

type jsonAttribute struct {
	Type            json.RawMessage `json:"type"`
	NestedType      *jsonNestedType `json:"nested_type"`
	Description     string          `json:"description"`
	DescriptionKind string          `json:"description_kind"`
	Required        bool            `json:"required"`
	Optional        bool            `json:"optional"`
	Computed        bool            `json:"computed"`
	Sensitive       bool            `json:"sensitive"`
	Deprecated      bool            `json:"deprecated"`
	WriteOnly       bool            `json:"write_only"`
}

type jsonNestedType struct {
	Attributes  map[string]*jsonAttribute `json:"attributes"`
	NestingMode string                    `json:"nesting_mode"`
}

type jsonBlockType struct {
	NestingMode string     `json:"nesting_mode"`
	Block       *jsonBlock `json:"block"`
	MinItems    int64      `json:"min_items"`
	MaxItems    int64      `json:"max_items"`
}

// parseSchemas reads the schema JSON and converts the entry for providerAddress.
func parseSchemas(data []byte) (*providerSchemas, error) {
	var file jsonSchemaFile
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("schema JSON: %w", err)
	}
	p, ok := file.ProviderSchemas[providerAddress]
	if !ok {
		return nil, fmt.Errorf("schema JSON has no provider_schemas[%q]", providerAddress)
	}
	if p.Provider == nil {
		return nil, fmt.Errorf("schema JSON: provider_schemas[%q] has no provider block", providerAddress)
	}
	out := &providerSchemas{Resources: map[string]*tfprotov6.Schema{}, DataSources: map[string]*tfprotov6.Schema{}}
	var err error
	if out.Provider, err = convertSchema(p.Provider, "provider"); err != nil {
		return nil, err
	}
	for name, s := range p.ResourceSchemas {
		if out.Resources[name], err = convertSchema(s, "resource "+name); err != nil {
			return nil, err
		}
	}
	for name, s := range p.DataSourceSchemas {
		if out.DataSources[name], err = convertSchema(s, "data source "+name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func convertSchema(s *jsonSchema, where string) (*tfprotov6.Schema, error) {
	if s == nil || s.Block == nil {
		return nil, fmt.Errorf("%s: no block", where)
	}
	block, err := convertBlock(s.Block, where)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.Schema{Version: s.Version, Block: block}, nil
}

func convertBlock(b *jsonBlock, where string) (*tfprotov6.SchemaBlock, error) {
	out := &tfprotov6.SchemaBlock{
		Description:     b.Description,
		DescriptionKind: convertKind(b.DescriptionKind),
		Deprecated:      b.Deprecated,
	}
	attrs, err := convertAttributes(b.Attributes, where)
	if err != nil {
		return nil, err
	}
	out.Attributes = attrs
	for _, name := range sortedKeys(b.BlockTypes) {
		bt := b.BlockTypes[name]
		path := where + "." + name
		nesting, err := convertBlockNesting(bt.NestingMode)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if bt.Block == nil {
			return nil, fmt.Errorf("%s: block type without block", path)
		}
		inner, err := convertBlock(bt.Block, path)
		if err != nil {
			return nil, err
		}
		out.BlockTypes = append(out.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name,
			Block:    inner,
			Nesting:  nesting,
			MinItems: bt.MinItems,
			MaxItems: bt.MaxItems,
		})
	}
	return out, nil
}

func convertAttributes(attrs map[string]*jsonAttribute, where string) ([]*tfprotov6.SchemaAttribute, error) {
	var out []*tfprotov6.SchemaAttribute
	for _, name := range sortedKeys(attrs) {
		a := attrs[name]
		path := where + "." + name
		sa := &tfprotov6.SchemaAttribute{
			Name:            name,
			Description:     a.Description,
			DescriptionKind: convertKind(a.DescriptionKind),
			Required:        a.Required,
			Optional:        a.Optional,
			Computed:        a.Computed,
			Sensitive:       a.Sensitive,
			Deprecated:      a.Deprecated,
			WriteOnly:       a.WriteOnly,
		}
		switch {
		case a.NestedType != nil && len(a.Type) > 0:
			return nil, fmt.Errorf("%s: both type and nested_type", path)
		case a.NestedType != nil:
			nesting, err := convertObjectNesting(a.NestedType.NestingMode)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			inner, err := convertAttributes(a.NestedType.Attributes, path)
			if err != nil {
				return nil, err
			}
			sa.NestedType = &tfprotov6.SchemaObject{Attributes: inner, Nesting: nesting}
		case len(a.Type) > 0:
			t, err := tftypes.ParseJSONType(a.Type) //nolint:staticcheck // marked internal, but it reads exactly the type expressions tofu writes
			if err != nil {
				return nil, fmt.Errorf("%s: type %s: %w", path, a.Type, err)
			}
			sa.Type = t
		default:
			return nil, fmt.Errorf("%s: neither type nor nested_type", path)
		}
		out = append(out, sa)
	}
	return out, nil
}

func convertBlockNesting(mode string) (tfprotov6.SchemaNestedBlockNestingMode, error) {
	switch mode {
	case "single":
		return tfprotov6.SchemaNestedBlockNestingModeSingle, nil
	case "group":
		return tfprotov6.SchemaNestedBlockNestingModeGroup, nil
	case "list":
		return tfprotov6.SchemaNestedBlockNestingModeList, nil
	case "set":
		return tfprotov6.SchemaNestedBlockNestingModeSet, nil
	case "map":
		return tfprotov6.SchemaNestedBlockNestingModeMap, nil
	}
	return tfprotov6.SchemaNestedBlockNestingModeInvalid, fmt.Errorf("unknown block nesting_mode %q", mode)
}

func convertObjectNesting(mode string) (tfprotov6.SchemaObjectNestingMode, error) {
	switch mode {
	case "single":
		return tfprotov6.SchemaObjectNestingModeSingle, nil
	case "list":
		return tfprotov6.SchemaObjectNestingModeList, nil
	case "set":
		return tfprotov6.SchemaObjectNestingModeSet, nil
	case "map":
		return tfprotov6.SchemaObjectNestingModeMap, nil
	}
	return tfprotov6.SchemaObjectNestingModeInvalid, fmt.Errorf("unknown nested_type nesting_mode %q", mode)
}

func convertKind(kind string) tfprotov6.StringKind {
	if kind == "markdown" {
		return tfprotov6.StringKindMarkdown
	}
	return tfprotov6.StringKindPlain
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
