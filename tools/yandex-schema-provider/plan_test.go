// Tests of plan.go on real resource schemas: create, update, set matching, nested attributes, unknown
// configuration, destroy; and, for every one of the 238 resources, a create, an apply, a plan with no change
// and an update, each checked with OpenTofu's own rules (validity_test.go).
package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

const subnetConfig = `{"name": "proof-a", "zone": "ru-central1-a", "network_id": "enp-1", "v4_cidr_blocks": ["10.10.1.0/24"]}`

func nullOf(s *tfprotov6.Schema) tftypes.Value { return tftypes.NewValue(s.ValueType(), nil) }

func mustValidPlan(t *testing.T, s *tfprotov6.Schema, prior, config, planned tftypes.Value) {
	t.Helper()
	if problems := planProblems(blockSchema(s.Block), prior, config, planned, ""); len(problems) > 0 {
		t.Fatalf("invalid plan:\n%s", strings.Join(problems, "\n"))
	}
}

func TestPlanCreateMakesComputedNullsUnknown(t *testing.T) {
	s := resourceSchema(t, "yandex_vpc_subnet")
	config := configValue(t, s, subnetConfig)
	planned := planResource(s, nullOf(s), config)
	mustValidPlan(t, s, nullOf(s), config, planned)
	for _, name := range []string{"id", "created_at", "folder_id", "labels", "v6_cidr_blocks"} {
		if attr(t, planned, name).IsKnown() {
			t.Errorf("%s planned known on create, want unknown", name)
		}
	}
	if got := str(t, attr(t, planned, "name")); got != "proof-a" {
		t.Errorf("name planned %q", got)
	}
	for _, name := range []string{"description", "route_table_id", "timeouts"} {
		if v := attr(t, planned, name); !v.IsKnown() || !v.IsNull() {
			t.Errorf("optional non-computed %s planned %s, want null", name, v)
		}
	}
	if n := len(elements(attr(t, planned, "dhcp_options"))); n != 0 {
		t.Errorf("dhcp_options planned with %d blocks, want 0", n)
	}
}

func TestPlanUpdateKeepsPriorComputedAndId(t *testing.T) {
	s := resourceSchema(t, "yandex_vpc_subnet")
	config := configValue(t, s, subnetConfig)
	prior := applyResource("yandex_vpc_subnet", s, planResource(s, nullOf(s), config), config)

	if same := planResource(s, prior, config); !same.Equal(prior) {
		t.Fatalf("plan of the applied configuration differs from the state:\n%s\n%s", same, prior)
	}

	changed := configValue(t, s, strings.Replace(subnetConfig, `"proof-a"`, `"proof-b"`, 1))
	changed = withUnknown(t, changed, "v4_cidr_blocks")
	planned := planResource(s, prior, changed)
	mustValidPlan(t, s, prior, changed, planned)
	if got := str(t, attr(t, planned, "name")); got != "proof-b" {
		t.Errorf("name planned %q, want proof-b", got)
	}
	if attr(t, planned, "v4_cidr_blocks").IsKnown() {
		t.Error("an unknown configured value must stay unknown in the plan")
	}
	for _, name := range []string{"id", "created_at", "folder_id", "labels"} {
		if !attr(t, planned, name).Equal(attr(t, prior, name)) {
			t.Errorf("%s planned %s, want the prior %s", name, attr(t, planned, name), attr(t, prior, name))
		}
	}

	// A configured id never replaces the prior one on update.
	withID := configValue(t, s, strings.Replace(subnetConfig, `{`, `{"id": "other",`, 1))
	if got := attr(t, planResource(s, prior, withID), "id"); !got.Equal(attr(t, prior, "id")) {
		t.Errorf("id planned %s on update, want the prior id", got)
	}
}

func TestPlanDestroyIsNull(t *testing.T) {
	s := resourceSchema(t, "yandex_vpc_subnet")
	config := configValue(t, s, subnetConfig)
	prior := applyResource("yandex_vpc_subnet", s, planResource(s, nullOf(s), config), config)
	if planned := planResource(s, prior, nullOf(s)); !planned.IsNull() {
		t.Fatalf("destroy planned %s, want null", planned)
	}
}

func TestPlanSetBlocksMatchByConfiguredParts(t *testing.T) {
	s := resourceSchema(t, "yandex_vpc_security_group")
	two := `{"network_id": "enp-1", "ingress": [
		{"protocol": "TCP", "port": 80, "v4_cidr_blocks": ["0.0.0.0/0"]},
		{"protocol": "TCP", "port": 443, "v4_cidr_blocks": ["0.0.0.0/0"]}]}`
	three := strings.Replace(two, `]}]}`, `]}, {"protocol": "TCP", "port": 22, "v4_cidr_blocks": ["203.0.113.7/32"]}]}`, 1)
	config2, config3 := configValue(t, s, two), configValue(t, s, three)
	prior := applyResource("yandex_vpc_security_group", s, planResource(s, nullOf(s), config2), config2)

	planned := planResource(s, prior, config3)
	mustValidPlan(t, s, prior, config3, planned)
	priorIDs := map[string]bool{}
	for _, rule := range elements(attr(t, prior, "ingress")) {
		priorIDs[str(t, attr(t, rule, "id"))] = true
	}
	kept, unknown := 0, 0
	for _, rule := range elements(attr(t, planned, "ingress")) {
		id := attr(t, rule, "id")
		switch {
		case !id.IsKnown():
			unknown++
			if port := attr(t, rule, "port"); !port.Equal(tftypes.NewValue(tftypes.Number, 22)) {
				t.Errorf("the new rule is port %s, want 22", port)
			}
		case priorIDs[str(t, id)]:
			kept++
		}
	}
	if kept != 2 || unknown != 1 {
		t.Fatalf("%d rules kept their ids and %d are new; want 2 and 1:\n%s", kept, unknown, attr(t, planned, "ingress"))
	}
	// Dropping the port-80 rule keeps the port-443 rule's id, whichever order the set holds them in.
	for _, order := range []string{`[80, 443]`, `[443, 80]`} {
		priorRules := elements(attr(t, prior, "ingress"))
		if order == `[443, 80]` {
			priorRules = []tftypes.Value{priorRules[1], priorRules[0]}
		}
		reordered := objectAttrs(prior)
		reordered["ingress"] = tftypes.NewValue(attr(t, prior, "ingress").Type(), priorRules)
		priorReordered := tftypes.NewValue(prior.Type(), reordered)
		only443 := configValue(t, s, `{"network_id": "enp-1", "ingress": [{"protocol": "TCP", "port": 443, "v4_cidr_blocks": ["0.0.0.0/0"]}]}`)
		rules := elements(attr(t, planResource(s, priorReordered, only443), "ingress"))
		var want tftypes.Value
		for _, rule := range priorRules {
			if attr(t, rule, "port").Equal(tftypes.NewValue(tftypes.Number, 443)) {
				want = attr(t, rule, "id")
			}
		}
		if len(rules) != 1 || !attr(t, rules[0], "id").Equal(want) {
			t.Fatalf("prior order %s: planned %v, want the one rule with id %s", order, rules, want)
		}
	}

	applied := applyResource("yandex_vpc_security_group", s, planned, config3)
	if problems := applyProblems(planned, applied, ""); len(problems) > 0 {
		t.Fatal(strings.Join(problems, "\n"))
	}
	if again := planResource(s, applied, config3); !again.Equal(applied) {
		t.Fatal("a second plan of the same rules is not empty")
	}
}

func TestPlanListBlocksMatchByIndex(t *testing.T) {
	s := resourceSchema(t, "yandex_compute_instance_group")
	config := configValue(t, s, instanceGroupConfig(2))
	prior := applyResource("yandex_compute_instance_group", s, planResource(s, nullOf(s), config), config)
	changed := configValue(t, s, instanceGroupConfig(3))
	planned := planResource(s, prior, changed)
	mustValidPlan(t, s, prior, changed, planned)
	path := "instance_template.0.network_interface.0.ip_address"
	if !attr(t, planned, path).Equal(attr(t, prior, path)) {
		t.Errorf("%s planned %s, want the prior %s", path, attr(t, planned, path), attr(t, prior, path))
	}
	if got := attr(t, planned, "scale_policy.0.fixed_scale.0.size"); !got.Equal(tftypes.NewValue(tftypes.Number, 3)) {
		t.Errorf("size planned %s, want 3", got)
	}
}

func TestPlanComputedNestedAttributeBecomesUnknownWhole(t *testing.T) {
	s := resourceSchema(t, "yandex_airflow_cluster")
	config := genConfig(s, false)
	planned := planResource(s, nullOf(s), config)
	mustValidPlan(t, s, nullOf(s), config, planned)
	// maintenance_window: an optional, computed single nested attribute left out of the configuration.
	if mw := attr(t, planned, "maintenance_window"); mw.IsKnown() {
		t.Fatalf("maintenance_window planned %s, want unknown", mw)
	}
	// webserver: a required single nested attribute; its configured parts stay, nothing is unknown as a whole.
	if ws := attr(t, planned, "webserver"); !ws.IsKnown() || ws.IsNull() {
		t.Fatalf("webserver planned %s", ws)
	}
}

func TestPlanUnknownDynamicBlockStaysUnknown(t *testing.T) {
	s := resourceSchema(t, "yandex_vpc_security_group")
	config := withUnknown(t, configValue(t, s, `{"network_id": "enp-1"}`), "ingress")
	planned := planResource(s, nullOf(s), config)
	mustValidPlan(t, s, nullOf(s), config, planned)
	if attr(t, planned, "ingress").IsKnown() {
		t.Fatal("ingress with an unknown for_each planned known")
	}
}

// TestEveryResourcePlansAppliesAndSettles runs, for each resource, a create from its required arguments, an
// apply, a plan of the same configuration (no change), an update to a configuration with every argument and
// one of every block, its apply and its plan (no change), and an update back to the required arguments.
func TestEveryResourcePlansAppliesAndSettles(t *testing.T) {
	schemas := loadSchemas(t)
	for _, name := range sortedKeys(schemas.Resources) {
		s := schemas.Resources[name]
		prior := nullOf(s)
		for _, full := range []bool{false, true, false} {
			config := genConfig(s, full)
			planned := planResource(s, prior, config)
			if problems := planProblems(blockSchema(s.Block), prior, config, planned, ""); len(problems) > 0 {
				t.Errorf("%s (full=%v): invalid plan:\n%s", name, full, strings.Join(problems, "\n"))
				break
			}
			applied := applyResource(name, s, planned, config)
			if problems := applyProblems(planned, applied, ""); len(problems) > 0 {
				t.Errorf("%s (full=%v): invalid apply:\n%s", name, full, strings.Join(problems, "\n"))
				break
			}
			if again := planResource(s, applied, config); !again.Equal(applied) {
				t.Errorf("%s (full=%v): the plan after apply is not empty", name, full)
				break
			}
			prior = applied
		}
	}
}

func instanceGroupConfig(size int) string {
	return strings.NewReplacer("SIZE", strconv.Itoa(size)).Replace(`{
		"name": "proof-app", "service_account_id": "aje-1",
		"instance_template": [{
			"platform_id": "standard-v3",
			"resources": [{"cores": 2, "memory": 2}],
			"boot_disk": [{"initialize_params": [{"image_id": "fd8-1", "size": 30}]}],
			"network_interface": [{"network_id": "enp-1", "subnet_ids": ["e9b-1"]}],
			"metadata": {"user-data": "#cloud-config"}
		}],
		"scale_policy": [{"fixed_scale": [{"size": SIZE}]}],
		"deploy_policy": [{"max_unavailable": 0, "max_expansion": 1}],
		"allocation_policy": [{"zones": ["ru-central1-a"]}]
	}`)
}
