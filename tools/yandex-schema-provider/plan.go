// The fake cloud's planning: from a resource's prior state and its configuration, the planned new state that
// PlanResourceChange returns. Configured values always win; a computed attribute left null in the
// configuration keeps its prior value on update and becomes unknown on create (or in a nested block or
// nested object that is new). Nested blocks and nested attributes are matched to their prior values by index
// (list), by key (map) or by the equality of their configured parts (set). The result satisfies OpenTofu's
// plan-validity checks: every non-computed attribute equals the configuration, block counts equal the
// configuration's, and nothing configured is planned unknown.
//
// The schema carries no ForceNew information, so the plan never asks for replacement: every change is an
// in-place update. That is a known gap of a schema-only provider (see README.md).
package main

import (
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// objectSchema is what a block and a nested attribute's object have in common: attributes, and (blocks only)
// nested blocks.
type objectSchema struct {
	attributes []*tfprotov6.SchemaAttribute
	blocks     []*tfprotov6.SchemaNestedBlock
}

func blockSchema(b *tfprotov6.SchemaBlock) objectSchema {
	if b == nil {
		return objectSchema{}
	}
	return objectSchema{attributes: b.Attributes, blocks: b.BlockTypes}
}

// nesting is how a nested block or a nested attribute holds its objects.
type nesting int

const (
	nestingSingle nesting = iota // one object, or null (blocks: single and group)
	nestingList
	nestingSet
	nestingMap
)

func blockNesting(m tfprotov6.SchemaNestedBlockNestingMode) nesting {
	switch m {
	case tfprotov6.SchemaNestedBlockNestingModeList:
		return nestingList
	case tfprotov6.SchemaNestedBlockNestingModeSet:
		return nestingSet
	case tfprotov6.SchemaNestedBlockNestingModeMap:
		return nestingMap
	}
	return nestingSingle
}

func objectNesting(m tfprotov6.SchemaObjectNestingMode) nesting {
	switch m {
	case tfprotov6.SchemaObjectNestingModeList:
		return nestingList
	case tfprotov6.SchemaObjectNestingModeSet:
		return nestingSet
	case tfprotov6.SchemaObjectNestingModeMap:
		return nestingMap
	}
	return nestingSingle
}

// planResource returns the planned new state. prior is null on create; config is null on destroy (planned null).
// The top-level id is always the prior id on update, and unknown on create unless the configuration sets it.
func planResource(s *tfprotov6.Schema, prior, config tftypes.Value) tftypes.Value {
	if config.IsNull() {
		return tftypes.NewValue(s.ValueType(), nil)
	}
	hasPrior := !prior.IsNull()
	planned := planObject(blockSchema(s.Block), prior, hasPrior, config)
	if !hasPrior || !isComputed(s.Block, "id") {
		return planned
	}
	attrs := objectAttrs(planned)
	attrs["id"] = objectAttrs(prior)["id"]
	return tftypes.NewValue(planned.Type(), attrs)
}

func isComputed(b *tfprotov6.SchemaBlock, name string) bool {
	for _, a := range b.Attributes {
		if a.Name == name {
			return a.Computed
		}
	}
	return false
}

// planObject plans one object (a block, or a nested attribute's object). config is a known, non-null object;
// hasPrior says whether prior holds this object's prior value.
func planObject(s objectSchema, prior tftypes.Value, hasPrior bool, config tftypes.Value) tftypes.Value {
	cfg := objectAttrs(config)
	var pri map[string]tftypes.Value
	if hasPrior {
		pri = objectAttrs(prior)
		hasPrior = pri != nil
	}
	out := make(map[string]tftypes.Value, len(cfg))
	for _, a := range s.attributes {
		c, ok := cfg[a.Name]
		if !ok {
			continue
		}
		p, pok := pri[a.Name]
		out[a.Name] = planAttribute(a, p, hasPrior && pok, c)
	}
	for _, b := range s.blocks {
		c, ok := cfg[b.TypeName]
		if !ok {
			continue
		}
		p, pok := pri[b.TypeName]
		out[b.TypeName] = planNested(blockNesting(b.Nesting), blockSchema(b.Block), p, hasPrior && pok, c)
	}
	return tftypes.NewValue(config.Type(), out)
}

func planAttribute(a *tfprotov6.SchemaAttribute, prior tftypes.Value, hasPrior bool, config tftypes.Value) tftypes.Value {
	switch {
	case a.WriteOnly:
		// Write-only values are never planned or stored.
		return tftypes.NewValue(config.Type(), nil)
	case !config.IsNull():
		if a.NestedType != nil && config.IsKnown() {
			return planNested(objectNesting(a.NestedType.Nesting), objectSchema{attributes: a.NestedType.Attributes}, prior, hasPrior, config)
		}
		return config
	case !a.Computed:
		return config
	case hasPrior:
		return prior
	default:
		return tftypes.NewValue(config.Type(), tftypes.UnknownValue)
	}
}

// planNested plans the objects of one nested block or nested attribute. A null or unknown configuration is
// kept as it is (an unknown one comes from a dynamic block whose for_each is not known yet).
func planNested(n nesting, s objectSchema, prior tftypes.Value, hasPrior bool, config tftypes.Value) tftypes.Value {
	if config.IsNull() || !config.IsKnown() {
		return config
	}
	hasPrior = hasPrior && prior.IsKnown() && !prior.IsNull()
	switch n {
	case nestingList:
		cfg, pri := elements(config), []tftypes.Value(nil)
		if hasPrior {
			pri = elements(prior)
		}
		out := make([]tftypes.Value, len(cfg))
		for i, c := range cfg {
			var p tftypes.Value
			if i < len(pri) {
				p = pri[i]
			}
			out[i] = planElement(s, p, i < len(pri), c)
		}
		return tftypes.NewValue(config.Type(), out)
	case nestingMap:
		cfg, pri := objectAttrs(config), map[string]tftypes.Value(nil)
		if hasPrior {
			pri = objectAttrs(prior)
		}
		out := make(map[string]tftypes.Value, len(cfg))
		for k, c := range cfg {
			p, ok := pri[k]
			out[k] = planElement(s, p, ok, c)
		}
		return tftypes.NewValue(config.Type(), out)
	case nestingSet:
		cfg, pri := elements(config), []tftypes.Value(nil)
		if hasPrior {
			pri = elements(prior)
		}
		used := make([]bool, len(pri))
		out := make([]tftypes.Value, len(cfg))
		for i, c := range cfg {
			match := -1
			for j, p := range pri {
				if !used[j] && matchObject(s, p, c) {
					match = j
					break
				}
			}
			if match >= 0 {
				used[match] = true
				out[i] = planElement(s, pri[match], true, c)
			} else {
				out[i] = planElement(s, tftypes.Value{}, false, c)
			}
		}
		return tftypes.NewValue(config.Type(), out)
	default:
		return planElement(s, prior, hasPrior, config)
	}
}

func planElement(s objectSchema, prior tftypes.Value, hasPrior bool, config tftypes.Value) tftypes.Value {
	if config.IsNull() || !config.IsKnown() {
		return config
	}
	return planObject(s, prior, hasPrior && prior.IsKnown() && !prior.IsNull(), config)
}

// matchObject tells whether a prior set element is the one a configured element describes: every configured
// value equals the prior one, and every non-computed attribute left null is null in the prior too. Computed
// attributes left null in the configuration are not compared. A configuration with unknown values matches
// nothing (its element is planned as new).
func matchObject(s objectSchema, prior, config tftypes.Value) bool {
	if !config.IsFullyKnown() || !prior.IsKnown() || prior.IsNull() != config.IsNull() {
		return false
	}
	if config.IsNull() {
		return true
	}
	cfg, pri := objectAttrs(config), objectAttrs(prior)
	for _, a := range s.attributes {
		c, p := cfg[a.Name], pri[a.Name]
		switch {
		case a.WriteOnly:
		case c.IsNull():
			if !a.Computed && !p.IsNull() {
				return false
			}
		case a.NestedType != nil:
			if !matchNested(objectNesting(a.NestedType.Nesting), objectSchema{attributes: a.NestedType.Attributes}, p, c) {
				return false
			}
		case !c.Equal(p):
			return false
		}
	}
	for _, b := range s.blocks {
		if !matchNested(blockNesting(b.Nesting), blockSchema(b.Block), pri[b.TypeName], cfg[b.TypeName]) {
			return false
		}
	}
	return true
}

func matchNested(n nesting, s objectSchema, prior, config tftypes.Value) bool {
	if !prior.IsKnown() || prior.IsNull() || config.IsNull() {
		return prior.IsKnown() && prior.IsNull() == config.IsNull()
	}
	switch n {
	case nestingList:
		cfg, pri := elements(config), elements(prior)
		if len(cfg) != len(pri) {
			return false
		}
		for i := range cfg {
			if !matchObject(s, pri[i], cfg[i]) {
				return false
			}
		}
		return true
	case nestingMap:
		cfg, pri := objectAttrs(config), objectAttrs(prior)
		if len(cfg) != len(pri) {
			return false
		}
		for k, c := range cfg {
			p, ok := pri[k]
			if !ok || !matchObject(s, p, c) {
				return false
			}
		}
		return true
	case nestingSet:
		cfg, pri := elements(config), elements(prior)
		if len(cfg) != len(pri) {
			return false
		}
		used := make([]bool, len(pri))
	next:
		for _, c := range cfg {
			for j, p := range pri {
				if !used[j] && matchObject(s, p, c) {
					used[j] = true
					continue next
				}
			}
			return false
		}
		return true
	default:
		return matchObject(s, prior, config)
	}
}

// objectAttrs returns the attributes of a known, non-null object (or the elements of a map); nil otherwise.
func objectAttrs(v tftypes.Value) map[string]tftypes.Value {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		return nil
	}
	return m
}

// elements returns the elements of a known, non-null list, set or tuple; nil otherwise.
func elements(v tftypes.Value) []tftypes.Value {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var s []tftypes.Value
	if err := v.As(&s); err != nil {
		return nil
	}
	return s
}
