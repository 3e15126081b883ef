// Serves the Yandex Cloud provider's schema (yandex-cloud/yandex 0.219.0, from the embedded schema.json)
// over plugin protocol 6, so that OpenTofu can init, validate, test, plan and apply against it with no network
// and no credentials. Run by OpenTofu from a filesystem mirror (scripts/build-yandex-schema-provider.sh); it
// writes nothing to stdout but go-plugin's handshake.
package main

import (
	"embed"
	"fmt"
	"io/fs"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// embedded holds schema.json, copied (not committed) from ../shared/yandex-provider/schema-0.219.0.json of
// the repository by the build script. The pattern also matches the committed schema-placeholder.json, so the
// package (and its tests) compile when schema.json is absent; the binary then refuses to start.
//
//go:embed schema*.json
var embedded embed.FS

func main() {
	data, err := fs.ReadFile(embedded, "schema.json")
	if err != nil {
		fmt.Fprintln(os.Stderr, "yandex-schema-provider: built without schema.json; build it with scripts/build-yandex-schema-provider.sh, which copies ../shared/yandex-provider/schema-0.219.0.json (from the repository root) into tools/yandex-schema-provider/")
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
