// Tests of validate.go: a computed-only attribute set is an error at its path (also inside blocks and nested
// attributes), a deprecated one a warning, and no configuration of settable arguments draws either.
package main

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func validateJSON(t *testing.T, typeName, js string) []*tfprotov6.Diagnostic {
	t.Helper()
	s := resourceSchema(t, typeName)
	resp, _ := testServer(t).ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: dynamic(t, s.ValueType(), configValue(t, s, js))})
	return resp.Diagnostics
}

func TestValidateRejectsComputedOnlyAttributes(t *testing.T) {
	diags := validateJSON(t, "yandex_vpc_network", `{"name": "n", "created_at": "x"}`)
	if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError || !strings.Contains(diags[0].Detail, `"created_at"`) {
		t.Fatalf("diagnostics %+v", diags)
	}
	if want := tftypes.NewAttributePath().WithAttributeName("created_at"); !diags[0].Attribute.Equal(want) {
		t.Errorf("path %s, want %s", diags[0].Attribute, want)
	}

	// Inside a set block: the security group rule's id.
	diags = validateJSON(t, "yandex_vpc_security_group", `{"network_id": "enp-1", "ingress": [{"protocol": "TCP", "port": 22, "id": "x"}]}`)
	if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError {
		t.Fatalf("diagnostics %+v", diags)
	}
	if steps := diags[0].Attribute.Steps(); len(steps) != 3 || steps[2] != tftypes.AttributeName("id") {
		t.Errorf("path %s, want ingress[<rule>].id", diags[0].Attribute)
	}
}

func TestValidateWarnsOnDeprecatedArguments(t *testing.T) {
	diags := validateJSON(t, "yandex_storage_bucket", `{"bucket": "b", "acl": "private"}`)
	if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityWarning || !strings.Contains(diags[0].Detail, `"acl"`) {
		t.Fatalf("diagnostics %+v", diags)
	}
	if diags := validateJSON(t, "yandex_storage_bucket", `{"bucket": "b"}`); len(diags) != 0 {
		t.Fatalf("an unset deprecated argument warned: %+v", diags)
	}
}

func TestValidateAcceptsEverySettableArgument(t *testing.T) {
	schemas := loadSchemas(t)
	for _, name := range sortedKeys(schemas.Resources) {
		s := schemas.Resources[name]
		for _, d := range validateConfig(blockSchema(s.Block), genConfig(s, true), tftypes.NewAttributePath()) {
			if d.Severity == tfprotov6.DiagnosticSeverityError {
				t.Errorf("%s: %s at %s", name, d.Summary, d.Attribute)
			}
		}
	}
	s := resourceSchema(t, "yandex_vpc_subnet")
	if diags := validateJSON(t, "yandex_vpc_subnet", subnetConfig); len(diags) != 0 {
		t.Fatalf("subnet: %+v", diags)
	}
	unknown := withUnknown(t, configValue(t, s, subnetConfig), "network_id")
	if diags := validateConfig(blockSchema(s.Block), unknown, tftypes.NewAttributePath()); len(diags) != 0 {
		t.Fatalf("unknown network_id: %+v", diags)
	}
}
