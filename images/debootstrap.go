package images

// The debootstrap recipes: a Debian root filesystem with a few packages,
// imported as a base image, and a Dockerfile on top. Postgres and nettools
// have a base each; the HA stacks (Patroni with etcd, pg_auto_failover) share
// one, so that a first build runs debootstrap once for the three images and
// Docker stores its layer once (docs/architecture.md, "The HA stacks' images").

// imgDebootstrap is what a debootstrap recipe is made of.
type imgDebootstrap struct {
	version string // the tag's version part
	// base names the base image (firedrill/base-<base>); "" for the role's own.
	base     string
	packages []string
	about    string
	// dockerfile are embedded files joined, in order, into the Dockerfile:
	// the HA images are the Postgres image's Dockerfile with their own lines
	// after it, so they keep its layout (uid 999, PGDATA) by construction.
	dockerfile []string
	// files are the other embedded files the Dockerfile copies, by base name.
	files []string
}

// imgHABase is the root filesystem the patroni, pg_auto_failover and etcd
// images share. The packages are Debian bookworm's: patroni 3.0.2 (with
// python3-etcd, the client its etcd and etcd3 sections both use),
// postgresql-15-auto-failover 2.0 (which brings pg-auto-failover-cli, the
// pg_autoctl command), etcd-server and etcd-client 3.4.23.
const imgHABase = "ha"

var imgHAPackages = []string{
	"postgresql-15", "patroni", "python3-etcd", "postgresql-15-auto-failover", "etcd-server", "etcd-client",
}

const imgHAAbout = "debootstrap " + imgDebianSuite + " + postgresql-15, patroni, pg_auto_failover and etcd (shared by the three HA images), usually 1-2 min"

var imgDebootstrapRecipes = map[Role]imgDebootstrap{
	RolePostgres: {
		version: "15", packages: []string{"postgresql-15"},
		about:      "debootstrap " + imgDebianSuite + " + postgresql-15, usually 1-3 min",
		dockerfile: []string{"postgres/Dockerfile"}, files: []string{"postgres/docker-entrypoint.sh"},
	},
	RoleNetTools: {
		version: imgDebianSuite, packages: []string{"iproute2", "iptables"},
		about:      "debootstrap " + imgDebianSuite + " + iproute2 and iptables, usually 1 min",
		dockerfile: []string{"nettools/Dockerfile"},
	},
	RolePatroni: {
		version: "3.0", base: imgHABase, packages: imgHAPackages, about: imgHAAbout,
		dockerfile: []string{"postgres/Dockerfile", "patroni/Dockerfile"},
		files:      []string{"postgres/docker-entrypoint.sh", "ha/run-as-postgres"},
	},
	RolePGAutoFailover: {
		version: "2.0", base: imgHABase, packages: imgHAPackages, about: imgHAAbout,
		dockerfile: []string{"postgres/Dockerfile", "pg_auto_failover/Dockerfile"},
		files:      []string{"postgres/docker-entrypoint.sh", "ha/run-as-postgres"},
	},
	RoleEtcd: {
		version: "3.4", base: imgHABase, packages: imgHAPackages, about: imgHAAbout,
		dockerfile: []string{"etcd/Dockerfile"},
	},
}
