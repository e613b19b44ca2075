package images

import "testing"

// Decide is the one decision of which image a role uses: every spelling of
// the official image lets the recipe stand in, any other named image must be
// present or pulled.
func TestDecide(t *testing.T) {
	cases := []struct {
		role     Role
		want     string
		name     string
		official bool
		recipe   bool
	}{
		{RolePostgres, "", "postgres:15", true, true},
		{RolePostgres, "postgres:15", "postgres:15", true, true},
		{RolePostgres, "postgres:15.8-bookworm", "postgres:15.8-bookworm", true, true},
		// The same image, spelled as a registry would: plan once said
		// "pull" for these, while run let the recipe stand in.
		{RolePostgres, "docker.io/postgres:15", "docker.io/postgres:15", true, true},
		{RolePostgres, "docker.io/library/postgres:15", "docker.io/library/postgres:15", true, true},
		{RolePostgres, "index.docker.io/library/postgres:15", "index.docker.io/library/postgres:15", true, true},
		{RolePostgres, "postgres:16", "postgres:16", false, false},
		{RolePostgres, "postgres", "postgres", false, false},
		{RolePostgres, "postgres@sha256:" + sha64, "postgres@sha256:" + sha64, false, false},
		{RolePostgres, "mycorp/postgres:15", "mycorp/postgres:15", false, false},
		{RoleMinIO, "", "minio/minio", true, true},
		{RoleMinIO, "docker.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", "docker.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", true, true},
		{RoleMinIO, "quay.io/minio/minio", "quay.io/minio/minio", true, true},
		{RoleMinIO, "bitnami/minio", "bitnami/minio", false, false},
		{RoleApp, "", "", false, true},
		{RoleApp, "example.com/shop:1", "example.com/shop:1", false, false},
		{RoleNetTools, "", "", false, true},
	}
	for _, c := range cases {
		got := Decide(c.role, c.want)
		want := Decision{Role: c.role, Want: c.want, Name: c.name, Official: c.official, Recipe: c.recipe}
		if got != want {
			t.Errorf("Decide(%s, %q) = %+v, want %+v", c.role, c.want, got, want)
		}
	}
}

const sha64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
