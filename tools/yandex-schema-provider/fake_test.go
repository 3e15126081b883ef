// Tests of fake.go: applied values are deterministic and of the right kind (ids, documentation addresses,
// created_at, zero numbers, false, empty collections, faked objects), data sources are read the same way,
// and the canonical text ignores set order.
package main

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestApplyIsDeterministicPerConfiguration(t *testing.T) {
	s := resourceSchema(t, "yandex_vpc_subnet")
	apply := func(js string) tftypes.Value {
		config := configValue(t, s, js)
		return applyResource("yandex_vpc_subnet", s, planResource(s, nullOf(s), config), config)
	}
	first, second := apply(subnetConfig), apply(subnetConfig)
	if !first.Equal(second) {
		t.Fatalf("two applies of one configuration differ:\n%s\n%s", first, second)
	}
	id := str(t, attr(t, first, "id"))
	if !regexp.MustCompile(`^fake-vpc-subnet-[0-9a-f]{8}$`).MatchString(id) {
		t.Fatalf("id %q, want fake-vpc-subnet-<8 hex>", id)
	}
	other := apply(strings.Replace(subnetConfig, "10.10.1.0/24", "10.10.2.0/24", 1))
	if str(t, attr(t, other, "id")) == id {
		t.Fatal("another configuration got the same id")
	}
	if folder := str(t, attr(t, first, "folder_id")); folder == id {
		t.Fatal("two attributes got the same fake")
	}
}

func TestApplyFakesEachKind(t *testing.T) {
	s := resourceSchema(t, "yandex_compute_instance_group")
	config := configValue(t, s, instanceGroupConfig(2))
	applied := applyResource("yandex_compute_instance_group", s, planResource(s, nullOf(s), config), config)

	if got := str(t, attr(t, applied, "created_at")); got != fakeCreatedAt {
		t.Errorf("created_at %q", got)
	}
	ip := str(t, attr(t, applied, "instance_template.0.network_interface.0.ip_address"))
	addr, err := netip.ParseAddr(ip)
	documentation := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24")}
	if err != nil || !(documentation[0].Contains(addr) || documentation[1].Contains(addr) || documentation[2].Contains(addr)) {
		t.Errorf("ip_address %q is not a documentation IPv4 address", ip)
	}
	ip6 := str(t, attr(t, applied, "instance_template.0.network_interface.0.ipv6_address"))
	if addr, err := netip.ParseAddr(ip6); err != nil || !netip.MustParsePrefix("2001:db8::/32").Contains(addr) {
		t.Errorf("ipv6_address %q is not a documentation IPv6 address", ip6)
	}
	if got := attr(t, applied, "instance_template.0.network_interface.0.nat"); !got.Equal(tftypes.NewValue(tftypes.Bool, false)) {
		t.Errorf("nat %s, want false", got)
	}
	if got := attr(t, applied, "instances"); len(elements(got)) != 0 || got.IsNull() {
		t.Errorf("instances %s, want an empty list", got)
	}
	if got := attr(t, applied, "instance_template.0.labels"); len(objectAttrs(got)) != 0 || got.IsNull() {
		t.Errorf("labels %s, want an empty map", got)
	}
	if got := str(t, attr(t, applied, "deploy_policy.0.strategy")); !strings.HasPrefix(got, "fake-compute-instance-group-") {
		t.Errorf("strategy %q", got)
	}
}

func TestFakeOfAnUnknownObjectFakesEachAttribute(t *testing.T) {
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"name": tftypes.String, "size": tftypes.Number, "on": tftypes.Bool,
		"tags": tftypes.Set{ElementType: tftypes.String}, "address": tftypes.String,
	}}
	v := newFaker("yandex_x", nil, tftypes.NewValue(tftypes.String, "cfg")).fill(tftypes.NewValue(typ, tftypes.UnknownValue), "", "")
	if !v.IsFullyKnown() {
		t.Fatalf("%s is not known", v)
	}
	want := map[string]tftypes.Value{
		"size": tftypes.NewValue(tftypes.Number, 0), "on": tftypes.NewValue(tftypes.Bool, false),
		"tags": tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{}),
	}
	for k, w := range want {
		if got := attr(t, v, k); !got.Equal(w) {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
	if got := str(t, attr(t, v, "name")); !regexp.MustCompile(`^fake-x-[0-9a-f]{8}$`).MatchString(got) {
		t.Errorf("name %q", got)
	}
	if _, err := netip.ParseAddr(str(t, attr(t, v, "address"))); err != nil {
		t.Errorf("address: %v", err)
	}
}

func TestReadDataSourceFakesComputedAndKeepsConfig(t *testing.T) {
	s := loadSchemas(t).DataSources["yandex_compute_image"]
	config := configValue(t, s, `{"family": "container-optimized-image"}`)
	state := readDataSource("yandex_compute_image", s, config)
	if !state.IsFullyKnown() {
		t.Fatalf("data source state has unknowns: %s", state)
	}
	if got := str(t, attr(t, state, "family")); got != "container-optimized-image" {
		t.Errorf("family %q", got)
	}
	if got := str(t, attr(t, state, "image_id")); !strings.HasPrefix(got, "fake-compute-image-") {
		t.Errorf("image_id %q", got)
	}
	if again := readDataSource("yandex_compute_image", s, config); !again.Equal(state) {
		t.Error("two reads differ")
	}
}

func TestCanonicalIgnoresSetOrderAndMarksUnknowns(t *testing.T) {
	set := func(a, b string) tftypes.Value {
		return tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{tftypes.NewValue(tftypes.String, a), tftypes.NewValue(tftypes.String, b)})
	}
	if canonical(set("a", "b")) != canonical(set("b", "a")) {
		t.Error("set order changes the canonical text")
	}
	if canonical(set("a", "b")) == canonical(set("a", "c")) {
		t.Error("different sets have one canonical text")
	}
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	null := tftypes.NewValue(tftypes.String, nil)
	if canonical(unknown) == canonical(null) || canonical(null) == canonical(tftypes.NewValue(tftypes.String, "null")) {
		t.Error("unknown, null and the string \"null\" must differ")
	}
}

func TestSensitiveValuesCarryTheMarker(t *testing.T) {
	s := loadSchemas(t).DataSources["yandex_client_config"]
	state := readDataSource("yandex_client_config", s, configValue(t, s, `{}`))
	if got := str(t, attr(t, state, "iam_token")); !strings.HasPrefix(got, "FAKE-SENSITIVE-") {
		t.Errorf("iam_token %q: a sensitive value must carry the marker", got)
	}
	if got := str(t, attr(t, state, "folder_id")); strings.HasPrefix(got, "FAKE-SENSITIVE-") {
		t.Errorf("folder_id %q is not sensitive", got)
	}
}
