// The two schema rules that OpenTofu leaves to the provider and that the real one enforces (its SDK and its
// framework alike): a computed-only attribute cannot be set (an error), and a deprecated attribute or block
// that is set draws a warning. Everything else the schema says (names, types, required arguments, nesting,
// min/max items) OpenTofu checks itself before it calls the Validate methods. The real provider's own Go
// validators (enumerations, formats, conflicts between arguments) are NOT reproduced.
package main

import (
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// validateConfig checks a configuration object (a block, or a nested attribute's object) against its schema.
func validateConfig(s objectSchema, config tftypes.Value, path *tftypes.AttributePath) []*tfprotov6.Diagnostic {
	cfg := objectAttrs(config)
	var diags []*tfprotov6.Diagnostic
	for _, a := range s.attributes {
		v, ok := cfg[a.Name]
		if !ok || v.IsNull() {
			continue
		}
		p := path.WithAttributeName(a.Name)
		if a.Computed && !a.Optional && !a.Required {
			diags = append(diags, &tfprotov6.Diagnostic{
				Severity:  tfprotov6.DiagnosticSeverityError,
				Summary:   "Value for unconfigurable attribute",
				Detail:    "Can't configure a value for \"" + a.Name + "\": its value will be decided automatically (the attribute is computed only).",
				Attribute: p,
			})
			continue
		}
		if a.Deprecated {
			diags = append(diags, deprecated(a.Name, p))
		}
		if a.NestedType != nil {
			diags = append(diags, validateNested(objectNesting(a.NestedType.Nesting), objectSchema{attributes: a.NestedType.Attributes}, v, p)...)
		}
	}
	for _, b := range s.blocks {
		v, ok := cfg[b.TypeName]
		if !ok || v.IsNull() || !v.IsKnown() {
			continue
		}
		p := path.WithAttributeName(b.TypeName)
		if b.Block != nil && b.Block.Deprecated && (blockNesting(b.Nesting) == nestingSingle || len(elements(v))+len(objectAttrs(v)) > 0) {
			diags = append(diags, deprecated(b.TypeName, p))
		}
		diags = append(diags, validateNested(blockNesting(b.Nesting), blockSchema(b.Block), v, p)...)
	}
	return diags
}

func validateNested(n nesting, s objectSchema, v tftypes.Value, path *tftypes.AttributePath) []*tfprotov6.Diagnostic {
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	var diags []*tfprotov6.Diagnostic
	switch n {
	case nestingSingle:
		return validateConfig(s, v, path)
	case nestingMap:
		for k, e := range objectAttrs(v) {
			diags = append(diags, validateConfig(s, e, path.WithElementKeyString(k))...)
		}
	case nestingList:
		for i, e := range elements(v) {
			diags = append(diags, validateConfig(s, e, path.WithElementKeyInt(i))...)
		}
	case nestingSet:
		for _, e := range elements(v) {
			diags = append(diags, validateConfig(s, e, path.WithElementKeyValue(e))...)
		}
	}
	return diags
}

func deprecated(name string, path *tftypes.AttributePath) *tfprotov6.Diagnostic {
	return &tfprotov6.Diagnostic{
		Severity:  tfprotov6.DiagnosticSeverityWarning,
		Summary:   "Argument is deprecated",
		Detail:    "The schema of yandex-cloud/yandex " + providerVersion + " marks \"" + name + "\" as deprecated.",
		Attribute: path,
	}
}
