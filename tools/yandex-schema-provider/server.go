// The protocol-6 provider server: serves the schema, validates configurations (OpenTofu itself checks them
// against the schema; validate.go adds the two schema rules it leaves to providers), configures without
// credentials, and answers plans, applies, refreshes and data source reads from the fake cloud of plan.go
// and fake.go. The calls it does not support are in unsupported.go.
package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// server implements tfprotov6.ProviderServer (and the list-resource, action and state-store extensions).
type server struct {
	schemas      *providerSchemas
	capabilities *tfprotov6.ServerCapabilities
}

var (
	_ tfprotov6.ProviderServer                 = (*server)(nil)
	_ tfprotov6.ProviderServerWithListResource = (*server)(nil)
	_ tfprotov6.ProviderServerWithActions      = (*server)(nil)
	_ tfprotov6.ProviderServerWithStateStores  = (*server)(nil)
)

func newServer(schemas *providerSchemas) *server {
	return &server{
		schemas: schemas,
		// PlanDestroy is off: OpenTofu plans destroys itself. MoveResourceState is not supported.
		capabilities: &tfprotov6.ServerCapabilities{GetProviderSchemaOptional: false, MoveResourceState: false, PlanDestroy: false},
	}
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{ServerCapabilities: s.capabilities}
	for _, name := range sortedKeys(s.schemas.Resources) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.schemas.DataSources) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		ServerCapabilities:       s.capabilities,
		Provider:                 s.schemas.Provider,
		ProviderMeta:             &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{}},
		ResourceSchemas:          s.schemas.Resources,
		DataSourceSchemas:        s.schemas.DataSources,
		Functions:                map[string]*tfprotov6.Function{},
		EphemeralResourceSchemas: map[string]*tfprotov6.Schema{},
		ListResourceSchemas:      map[string]*tfprotov6.Schema{},
		ActionSchemas:            map[string]*tfprotov6.ActionSchema{},
		StateStoreSchemas:        map[string]*tfprotov6.Schema{},
	}, nil
}

// The three Validate calls check only what OpenTofu leaves to the provider (validate.go): OpenTofu checks
// names, types, required arguments, nesting and min/max items against the served schema before it calls
// them. The real provider's own Go validators (enumerations, formats, conflicts between arguments) are NOT
// reproduced here.

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config, Diagnostics: validate("provider", s.schemas.Provider, req.Config)}, nil
}

func (s *server) ValidateResourceConfig(_ context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	schema, _, diags := s.resource(req.TypeName)
	if diags != nil {
		return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: diags}, nil
	}
	return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: validate(req.TypeName, schema, req.Config)}, nil
}

func (s *server) ValidateDataResourceConfig(_ context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	schema, diags := s.dataSource(req.TypeName)
	if diags != nil {
		return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: diags}, nil
	}
	return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: validate(req.TypeName, schema, req.Config)}, nil
}

func validate(what string, schema *tfprotov6.Schema, dv *tfprotov6.DynamicValue) []*tfprotov6.Diagnostic {
	config, err := decode(dv, schema.ValueType())
	if err != nil {
		return decodeDiags(what, err)
	}
	return validateConfig(blockSchema(schema.Block), config, tftypes.NewAttributePath())
}

// ConfigureProvider succeeds with any configuration, credentials or none: the fake cloud needs none.
func (s *server) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *server) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (resp *tfprotov6.PlanResourceChangeResponse, _ error) {
	resp = &tfprotov6.PlanResourceChangeResponse{PlannedPrivate: req.PriorPrivate}
	defer recoverInto(&resp.Diagnostics, "PlanResourceChange", req.TypeName)
	schema, typ, diags := s.resource(req.TypeName)
	if diags != nil {
		resp.Diagnostics = diags
		return resp, nil
	}
	prior, err1 := decode(req.PriorState, typ)
	config, err2 := decode(req.Config, typ)
	proposed, err3 := decode(req.ProposedNewState, typ)
	if d := decodeDiags(req.TypeName, err1, err2, err3); d != nil {
		resp.Diagnostics = d
		return resp, nil
	}
	planned := planResource(schema, prior, config)
	if proposed.IsNull() {
		planned = proposed // destroy
	}
	// RequiresReplace stays empty: the schema has no ForceNew information (see plan.go).
	resp.PlannedState, resp.Diagnostics = encode(req.TypeName, typ, planned)
	return resp, nil
}

func (s *server) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (resp *tfprotov6.ApplyResourceChangeResponse, _ error) {
	resp = &tfprotov6.ApplyResourceChangeResponse{Private: req.PlannedPrivate}
	defer recoverInto(&resp.Diagnostics, "ApplyResourceChange", req.TypeName)
	schema, typ, diags := s.resource(req.TypeName)
	if diags != nil {
		resp.Diagnostics = diags
		return resp, nil
	}
	planned, err1 := decode(req.PlannedState, typ)
	config, err2 := decode(req.Config, typ)
	if d := decodeDiags(req.TypeName, err1, err2); d != nil {
		resp.Diagnostics = d
		return resp, nil
	}
	resp.NewState, resp.Diagnostics = encode(req.TypeName, typ, applyResource(req.TypeName, schema, planned, config))
	return resp, nil
}

// ReadResource returns the state unchanged: the fake cloud never drifts.
func (s *server) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private, NewIdentity: req.CurrentIdentity}, nil
}

// UpgradeResourceState decodes the stored JSON against the current schema, whatever its version: the fake
// cloud only ever wrote states of this schema. Attributes the schema no longer has are dropped.
func (s *server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	resp := &tfprotov6.UpgradeResourceStateResponse{}
	_, typ, diags := s.resource(req.TypeName)
	if diags != nil {
		resp.Diagnostics = diags
		return resp, nil
	}
	if req.RawState == nil {
		resp.UpgradedState, resp.Diagnostics = encode(req.TypeName, typ, tftypes.NewValue(typ, nil))
		return resp, nil
	}
	v, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		resp.Diagnostics = []*tfprotov6.Diagnostic{errorDiag("Cannot read the stored state of "+req.TypeName, err.Error())}
		return resp, nil
	}
	resp.UpgradedState, resp.Diagnostics = encode(req.TypeName, typ, v)
	return resp, nil
}

func (s *server) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (resp *tfprotov6.ReadDataSourceResponse, _ error) {
	resp = &tfprotov6.ReadDataSourceResponse{}
	defer recoverInto(&resp.Diagnostics, "ReadDataSource", req.TypeName)
	schema, diags := s.dataSource(req.TypeName)
	if diags != nil {
		resp.Diagnostics = diags
		return resp, nil
	}
	typ := schema.ValueType()
	config, err := decode(req.Config, typ)
	if d := decodeDiags(req.TypeName, err); d != nil {
		resp.Diagnostics = d
		return resp, nil
	}
	resp.State, resp.Diagnostics = encode(req.TypeName, typ, readDataSource(req.TypeName, schema, config))
	return resp, nil
}

func (s *server) resource(typeName string) (*tfprotov6.Schema, tftypes.Type, []*tfprotov6.Diagnostic) {
	schema, ok := s.schemas.Resources[typeName]
	if !ok {
		return nil, nil, []*tfprotov6.Diagnostic{errorDiag("Unknown resource type "+typeName, "The schema of yandex-cloud/yandex "+providerVersion+" has no such resource.")}
	}
	return schema, schema.ValueType(), nil
}

func (s *server) dataSource(typeName string) (*tfprotov6.Schema, []*tfprotov6.Diagnostic) {
	schema, ok := s.schemas.DataSources[typeName]
	if !ok {
		return nil, []*tfprotov6.Diagnostic{errorDiag("Unknown data source type "+typeName, "The schema of yandex-cloud/yandex "+providerVersion+" has no such data source.")}
	}
	return schema, nil
}

// decode reads a value of type typ; an absent value is null.
func decode(dv *tfprotov6.DynamicValue, typ tftypes.Type) (tftypes.Value, error) {
	if dv == nil {
		return tftypes.NewValue(typ, nil), nil
	}
	return dv.Unmarshal(typ)
}

func decodeDiags(typeName string, errs ...error) []*tfprotov6.Diagnostic {
	for _, err := range errs {
		if err != nil {
			return []*tfprotov6.Diagnostic{errorDiag("Cannot decode a value of "+typeName, err.Error())}
		}
	}
	return nil
}

func encode(typeName string, typ tftypes.Type, v tftypes.Value) (*tfprotov6.DynamicValue, []*tfprotov6.Diagnostic) {
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		return nil, []*tfprotov6.Diagnostic{errorDiag("Cannot encode a value of "+typeName, err.Error())}
	}
	return &dv, nil
}

func errorDiag(summary, detail string) *tfprotov6.Diagnostic {
	return &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityError, Summary: summary, Detail: detail}
}

// recoverInto turns a panic of the value logic (tftypes panics on a value that does not fit its type) into an
// error diagnostic, so OpenTofu reports it instead of a crashed plugin.
func recoverInto(diags *[]*tfprotov6.Diagnostic, call, typeName string) {
	if r := recover(); r != nil {
		*diags = append(*diags, errorDiag(fmt.Sprintf("yandex-schema-provider: %s of %s failed", call, typeName), fmt.Sprint(r)))
	}
}
