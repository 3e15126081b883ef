// Serves the Yandex Cloud provider's schema (yandex-cloud/yandex 0.219.0, embedded from schema/, gzipped)
// over plugin protocol 6, so that OpenTofu can init, validate, test, plan and apply against it with no network
// and no credentials. Run by OpenTofu from a filesystem mirror (scripts/build-yandex-schema-provider.sh); it
// writes nothing to stdout but go-plugin's handshake.
package main

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// schemaGzip is `tofu providers schema -json` of the release, gzipped and committed (schema/README.md).
//
//go:embed schema/yandex-0.219.0.json.gz
var schemaGzip []byte

// schemaJSON is the embedded schema, decompressed.
func schemaJSON() ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(schemaGzip))
	if err != nil {
		return nil, fmt.Errorf("the embedded schema is not gzip: %w", err)
	}
	return io.ReadAll(r)
}

func main() {
	data, err := schemaJSON()
	if err != nil {
		fmt.Fprintln(os.Stderr, "yandex-schema-provider:", err)
		os.Exit(1)
	}
	schemas, err := parseSchemas(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "yandex-schema-provider:", err)
		os.Exit(1)
	}
	if err := tf6server.Serve(providerAddress, func() tfprotov6.ProviderServer { return newServer(schemas) }); err != nil {
		fmt.Fprintln(os.Stderr, "yandex-schema-provider:", err)
		os.Exit(1)
	}
}
