// OpenTofu's checks of a provider's answers, restated for the tests (after internal/plans/objchange of
// OpenTofu 1.10: AssertPlanValid and AssertObjectCompatible): a plan may differ from the configuration only
// in computed attributes, keeps block counts and nothing configured unknown; an applied state is wholly known
// and keeps every known planned value.
package main

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// planProblems lists where planned breaks OpenTofu's plan-validity rules for (prior, config).
func planProblems(s objectSchema, prior, config, planned tftypes.Value, path string) []string {
	var out []string
	if planned.IsNull() != config.IsNull() {
		return []string{path + ": planned null-ness differs from the configuration"}
	}
	if planned.IsNull() {
		return nil
	}
	pri, cfg, pl := objectAttrs(prior), objectAttrs(config), objectAttrs(planned)
	for _, a := range s.attributes {
		p := join(path, a.Name)
		pv, ok := pri[a.Name]
		if !ok {
			pv = tftypes.NewValue(cfg[a.Name].Type(), nil)
		}
		out = append(out, attrProblems(a.Computed, a.Optional, a.NestedType != nil, func(pr, c, v tftypes.Value, q string) []string {
			return nestedProblems(objectNesting(a.NestedType.Nesting), objectSchema{attributes: a.NestedType.Attributes}, pr, c, v, q)
		}, pv, cfg[a.Name], pl[a.Name], p)...)
	}
	for _, b := range s.blocks {
		p := join(path, b.TypeName)
		c, v := cfg[b.TypeName], pl[b.TypeName]
		if v.Equal(c) {
			continue
		}
		if !c.IsKnown() || !v.IsKnown() {
			out = append(out, p+": unknown nested block in plan or configuration")
			continue
		}
		out = append(out, nestedProblems(blockNesting(b.Nesting), blockSchema(b.Block), pri[b.TypeName], c, v, p)...)
	}
	return out
}

func attrProblems(computed, optional, nested bool, recurse func(pr, c, v tftypes.Value, q string) []string, prior, config, planned tftypes.Value, path string) []string {
	switch {
	case planned.Equal(config):
		return nil
	case !prior.IsNull() && !config.IsNull() && planned.Equal(prior):
		return nil
	case computed && !optional:
		return nil
	case config.IsNull() && computed:
		return nil
	case config.IsNull():
		return []string{fmt.Sprintf("%s: planned value %s for a non-computed attribute", path, planned)}
	case nested:
		if !planned.IsKnown() {
			return []string{path + ": planned unknown for a configured value"}
		}
		return recurse(prior, config, planned, path)
	}
	return []string{fmt.Sprintf("%s: planned %s does not match config %s nor prior %s", path, planned, config, prior)}
}

func nestedProblems(n nesting, s objectSchema, prior, config, planned tftypes.Value, path string) []string {
	if planned.IsNull() != config.IsNull() {
		return []string{path + ": planned null-ness differs from the configuration"}
	}
	if planned.IsNull() {
		return nil
	}
	switch n {
	case nestingSingle:
		return planProblems(s, prior, config, planned, path)
	case nestingMap:
		cfg, pl, pri := objectAttrs(config), objectAttrs(planned), objectAttrs(prior)
		if len(cfg) != len(pl) {
			return []string{fmt.Sprintf("%s: %d planned, %d configured", path, len(pl), len(cfg))}
		}
		var out []string
		for k, v := range pl {
			c, ok := cfg[k]
			if !ok {
				out = append(out, path+": planned key "+k+" is not configured")
				continue
			}
			pr, ok := pri[k]
			if !ok {
				pr = tftypes.NewValue(c.Type(), nil)
			}
			out = append(out, planProblems(s, pr, c, v, join(path, k))...)
		}
		return out
	case nestingList:
		cfg, pl, pri := elements(config), elements(planned), elements(prior)
		if len(cfg) != len(pl) {
			return []string{fmt.Sprintf("%s: %d planned, %d configured", path, len(pl), len(cfg))}
		}
		var out []string
		for i := range pl {
			pr := tftypes.NewValue(cfg[i].Type(), nil)
			if i < len(pri) {
				pr = pri[i]
			}
			out = append(out, planProblems(s, pr, cfg[i], pl[i], join(path, fmt.Sprint(i)))...)
		}
		return out
	default: // set: only the count can be checked
		if len(elements(config)) != len(elements(planned)) {
			return []string{fmt.Sprintf("%s: %d planned, %d configured", path, len(elements(planned)), len(elements(config)))}
		}
		for _, e := range elements(planned) {
			if !e.IsKnown() {
				return []string{path + ": unknown set element"}
			}
		}
		return nil
	}
}

// applyProblems lists where an applied state is not wholly known or drops a known planned value.
func applyProblems(planned, applied tftypes.Value, path string) []string {
	if !applied.IsFullyKnown() {
		return []string{path + ": applied state has unknown values"}
	}
	if !planned.Type().Equal(applied.Type()) {
		return []string{path + ": applied type differs from planned"}
	}
	if !planned.IsKnown() {
		return nil
	}
	if planned.IsNull() || applied.IsNull() {
		if planned.IsNull() != applied.IsNull() {
			return []string{fmt.Sprintf("%s: planned %s, applied %s", path, planned, applied)}
		}
		return nil
	}
	switch planned.Type().(type) {
	case tftypes.Object, tftypes.Map:
		pl, ap := objectAttrs(planned), objectAttrs(applied)
		if len(pl) != len(ap) {
			return []string{path + ": keys differ"}
		}
		var out []string
		for k, v := range pl {
			out = append(out, applyProblems(v, ap[k], join(path, k))...)
		}
		return out
	case tftypes.List, tftypes.Tuple:
		pl, ap := elements(planned), elements(applied)
		if len(pl) != len(ap) {
			return []string{path + ": lengths differ"}
		}
		var out []string
		for i := range pl {
			out = append(out, applyProblems(pl[i], ap[i], join(path, fmt.Sprint(i)))...)
		}
		return out
	case tftypes.Set:
		if len(elements(planned)) != len(elements(applied)) {
			return []string{path + ": set lengths differ"}
		}
		if planned.IsFullyKnown() && !planned.Equal(applied) {
			return []string{path + ": known set changed"}
		}
		return nil
	}
	if !planned.Equal(applied) {
		return []string{fmt.Sprintf("%s: planned %s, applied %s", path, planned, applied)}
	}
	return nil
}
