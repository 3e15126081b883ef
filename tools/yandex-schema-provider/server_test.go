// Tests of server.go and unsupported.go through the ProviderServer interface (values encoded as OpenTofu
// sends them), and of the schema through the plugin's gRPC layer (tf6server), where it becomes protobuf.
package main

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func testServer(t *testing.T) *server { return newServer(loadSchemas(t)) }

func dynamic(t *testing.T, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func undynamic(t *testing.T, typ tftypes.Type, dv *tfprotov6.DynamicValue) tftypes.Value {
	t.Helper()
	if dv == nil {
		t.Fatal("no value")
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func noDiags(t *testing.T, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		t.Errorf("diagnostic: %s: %s", d.Summary, d.Detail)
	}
	if len(diags) > 0 {
		t.FailNow()
	}
}

func TestGetProviderSchemaAndMetadata(t *testing.T) {
	srv, ctx := testServer(t), context.Background()
	resp, _ := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	noDiags(t, resp.Diagnostics)
	if len(resp.ResourceSchemas) != 238 || len(resp.DataSourceSchemas) != 148 || resp.Provider == nil {
		t.Fatalf("%d resources, %d data sources", len(resp.ResourceSchemas), len(resp.DataSourceSchemas))
	}
	if c := resp.ServerCapabilities; c == nil || c.PlanDestroy || c.MoveResourceState {
		t.Fatalf("capabilities %+v", c)
	}
	meta, _ := srv.GetMetadata(ctx, &tfprotov6.GetMetadataRequest{})
	if len(meta.Resources) != 238 || len(meta.DataSources) != 148 || meta.Resources[0].TypeName > meta.Resources[1].TypeName {
		t.Fatalf("metadata: %d resources, %d data sources", len(meta.Resources), len(meta.DataSources))
	}
}

// TestSchemaSurvivesTheGRPCLayer asks tf6server's gRPC server (what OpenTofu talks to) for the schema, so the
// whole schema converts to protobuf without error.
func TestSchemaSurvivesTheGRPCLayer(t *testing.T) {
	grpc := reflect.ValueOf(tf6server.New(providerAddress, testServer(t), tf6server.WithLoggingSink(t)))
	method := grpc.MethodByName("GetProviderSchema")
	out := method.Call([]reflect.Value{reflect.ValueOf(context.Background()), reflect.New(method.Type().In(1).Elem())})
	if err, _ := out[1].Interface().(error); err != nil {
		t.Fatal(err)
	}
	resp := out[0].Elem()
	if n := resp.FieldByName("ResourceSchemas").Len(); n != 238 {
		t.Fatalf("%d resource schemas over gRPC, want 238", n)
	}
	if n := resp.FieldByName("DataSourceSchemas").Len(); n != 148 {
		t.Fatalf("%d data source schemas over gRPC, want 148", n)
	}
	if n := resp.FieldByName("Diagnostics").Len(); n != 0 {
		t.Fatalf("%d diagnostics over gRPC", n)
	}
}

func TestValidateAndConfigureAcceptWithoutCredentials(t *testing.T) {
	srv, ctx := testServer(t), context.Background()
	ptyp := srv.schemas.Provider.ValueType()
	empty := dynamic(t, ptyp, configValue(t, srv.schemas.Provider, `{}`))
	v, _ := srv.ValidateProviderConfig(ctx, &tfprotov6.ValidateProviderConfigRequest{Config: empty})
	noDiags(t, v.Diagnostics)
	c, _ := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: empty})
	noDiags(t, c.Diagnostics)
	s := resourceSchema(t, "yandex_vpc_subnet")
	r, _ := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: "yandex_vpc_subnet", Config: dynamic(t, s.ValueType(), configValue(t, s, subnetConfig))})
	noDiags(t, r.Diagnostics)
}

func TestPlanApplyReadThroughTheServer(t *testing.T) {
	srv, ctx := testServer(t), context.Background()
	s := resourceSchema(t, "yandex_vpc_subnet")
	typ := s.ValueType()
	config := dynamic(t, typ, configValue(t, s, subnetConfig))
	null := dynamic(t, typ, nullOf(s))

	plan, _ := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "yandex_vpc_subnet", PriorState: null, ProposedNewState: config, Config: config})
	noDiags(t, plan.Diagnostics)
	if len(plan.RequiresReplace) != 0 {
		t.Fatal("RequiresReplace set")
	}
	apply, _ := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: "yandex_vpc_subnet", PriorState: null, PlannedState: plan.PlannedState, Config: config, PlannedPrivate: []byte(`{"p":1}`)})
	noDiags(t, apply.Diagnostics)
	state := undynamic(t, typ, apply.NewState)
	if !state.IsFullyKnown() || string(apply.Private) != `{"p":1}` {
		t.Fatalf("applied %s, private %q", state, apply.Private)
	}

	read, _ := srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "yandex_vpc_subnet", CurrentState: apply.NewState})
	if !undynamic(t, typ, read.NewState).Equal(state) {
		t.Fatal("ReadResource changed the state")
	}

	destroy, _ := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "yandex_vpc_subnet", PriorState: apply.NewState, ProposedNewState: null, Config: null})
	noDiags(t, destroy.Diagnostics)
	if !undynamic(t, typ, destroy.PlannedState).IsNull() {
		t.Fatal("destroy planned non-null")
	}
	gone, _ := srv.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: "yandex_vpc_subnet", PriorState: apply.NewState, PlannedState: destroy.PlannedState, Config: null})
	noDiags(t, gone.Diagnostics)
	if !undynamic(t, typ, gone.NewState).IsNull() {
		t.Fatal("destroy applied non-null")
	}

	bad, _ := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "yandex_nope", Config: config})
	if len(bad.Diagnostics) != 1 || !strings.Contains(bad.Diagnostics[0].Summary, "yandex_nope") {
		t.Fatalf("unknown type: %+v", bad.Diagnostics)
	}
}

func TestReadDataSourceThroughTheServer(t *testing.T) {
	srv, ctx := testServer(t), context.Background()
	s := srv.schemas.DataSources["yandex_compute_image"]
	resp, _ := srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "yandex_compute_image", Config: dynamic(t, s.ValueType(), configValue(t, s, `{"family": "container-optimized-image"}`))})
	noDiags(t, resp.Diagnostics)
	if state := undynamic(t, s.ValueType(), resp.State); !state.IsFullyKnown() {
		t.Fatalf("data source state %s", state)
	}
}

func TestUpgradeResourceStateReadsJSONAgainstTheSchema(t *testing.T) {
	srv := testServer(t)
	s := resourceSchema(t, "yandex_lockbox_secret")
	raw := `{"id": "e6q-1", "name": "db", "removed_attribute": 1, "password_payload_specification": [{"password_key": "password", "length": 32}]}`
	resp, _ := srv.UpgradeResourceState(context.Background(), &tfprotov6.UpgradeResourceStateRequest{TypeName: "yandex_lockbox_secret", Version: 0, RawState: &tfprotov6.RawState{JSON: []byte(raw)}})
	noDiags(t, resp.Diagnostics)
	state := undynamic(t, s.ValueType(), resp.UpgradedState)
	if got := str(t, attr(t, state, "id")); got != "e6q-1" {
		t.Errorf("id %q", got)
	}
	if got := attr(t, state, "password_payload_specification.0.length"); !got.Equal(tftypes.NewValue(tftypes.Number, 32)) {
		t.Errorf("length %s", got)
	}
	if got := attr(t, state, "description"); !got.IsNull() {
		t.Errorf("absent description %s, want null", got)
	}
	broken, _ := srv.UpgradeResourceState(context.Background(), &tfprotov6.UpgradeResourceStateRequest{TypeName: "yandex_lockbox_secret", RawState: &tfprotov6.RawState{JSON: []byte(`{"labels": "not a map"}`)}})
	if len(broken.Diagnostics) == 0 {
		t.Error("a state of the wrong type upgraded without error")
	}
}

func TestUnsupportedCallsAnswerWithErrors(t *testing.T) {
	srv, ctx := testServer(t), context.Background()
	wantError := func(what string, diags []*tfprotov6.Diagnostic) {
		t.Helper()
		if len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError || !strings.Contains(diags[0].Summary, "not supported by the schema-only provider") {
			t.Errorf("%s: %+v", what, diags)
		}
	}
	imp, _ := srv.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: "yandex_vpc_network", ID: "enp-1"})
	wantError("import", imp.Diagnostics)
	mv, _ := srv.MoveResourceState(ctx, &tfprotov6.MoveResourceStateRequest{SourceTypeName: "a", TargetTypeName: "b"})
	wantError("move", mv.Diagnostics)
	id, _ := srv.UpgradeResourceIdentity(ctx, &tfprotov6.UpgradeResourceIdentityRequest{TypeName: "a"})
	wantError("identity", id.Diagnostics)
	eph, _ := srv.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{TypeName: "a"})
	wantError("ephemeral", eph.Diagnostics)
	pa, _ := srv.PlanAction(ctx, &tfprotov6.PlanActionRequest{ActionType: "a"})
	wantError("action", pa.Diagnostics)
	ls, _ := srv.GetStates(ctx, &tfprotov6.GetStatesRequest{TypeName: "a"})
	wantError("state store", ls.Diagnostics)

	fn, _ := srv.CallFunction(ctx, &tfprotov6.CallFunctionRequest{Name: "f"})
	if fn.Error == nil {
		t.Error("CallFunction answered without error")
	}
	list, _ := srv.ListResource(ctx, &tfprotov6.ListResourceRequest{TypeName: "a"})
	for r := range list.Results {
		wantError("list", r.Diagnostics)
	}
	inv, _ := srv.InvokeAction(ctx, &tfprotov6.InvokeActionRequest{ActionType: "a"})
	for e := range inv.Events {
		wantError("invoke", e.Type.(tfprotov6.CompletedInvokeActionEventType).Diagnostics)
	}
	rb, _ := srv.ReadStateBytes(ctx, &tfprotov6.ReadStateBytesRequest{TypeName: "a"})
	for c := range rb.Chunks {
		wantError("read state bytes", c.Diagnostics)
	}
	fns, _ := srv.GetFunctions(ctx, &tfprotov6.GetFunctionsRequest{})
	ids, _ := srv.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if len(fns.Functions) != 0 || len(ids.IdentitySchemas) != 0 || fns.Diagnostics != nil || ids.Diagnostics != nil {
		t.Error("functions or identity schemas listed")
	}
}
