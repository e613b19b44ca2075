package scenarios

import (
	"strings"
	"testing"
)

// diskScenario is a valid scenario with a disk-fill; its disk_size and
// params are what each case sets.
func diskScenario(diskSize, params string) string {
	s := `apiVersion: firedrill/v1
name: t
environment:
  regions: [east, west]
  postgres:
    primary: {region: east}
    replicas: [{name: r1, region: west}]
`
	if diskSize != "" {
		s += "    disk_size: " + diskSize + "\n"
	}
	return s + `timeline:
  duration: 60s
  faults:
    - {at: 15s, action: disk-fill, target: postgres.primary, for: 5s, params: ` + params + `}
`
}

func TestDiskSize(t *testing.T) {
	for _, tc := range []struct {
		name, disk, params string
		want               string // "" = valid
	}{
		{"default", "", "{percent: 100}", ""},
		{"smallest", "128MiB", "{percent: 50}", ""},
		{"largest", "64GiB", "{size: 63GiB}", ""},
		{"decimal units", "500MB", "{size: 100MB}", ""},
		{"too small", "64MiB", "{percent: 100}", "t.yaml:8:16: environment.postgres.disk_size: disk_size 64MiB is smaller than 128.0 MiB"},
		{"too large", "65GiB", "{percent: 100}", "t.yaml:8:16: environment.postgres.disk_size: disk_size 65GiB is larger than 64.0 GiB"},
		{"overflow", "99999999999GiB", "{percent: 100}", "disk_size 99999999999GiB is larger than 64.0 GiB"},
		{"no unit", "1024", "{percent: 100}", "environment.postgres.disk_size: invalid size \"1024\""},
		{"fill larger than the disk", "256MiB", "{size: 256MiB}", "t.yaml:12:86: timeline.faults[0].params.size: size 256MiB does not fit on the Postgres disk (environment.postgres.disk_size 256MiB)"},
		{"fill larger than the default disk", "", "{size: 2GiB}", "size 2GiB does not fit on the Postgres disk (environment.postgres.disk_size 1GiB)"},
		{"fill overflows", "", "{size: 9999999999GiB}", "timeline.faults[0].params.size: size 9999999999GiB is too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := LoadBytes("t.yaml", []byte(diskScenario(tc.disk, tc.params)))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				if tc.disk == "" && s.Environment.Postgres.DiskSize != DefaultPostgresDiskSize {
					t.Errorf("disk_size defaults to %q, want %q", s.Environment.Postgres.DiskSize, DefaultPostgresDiskSize)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}
