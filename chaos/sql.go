package chaos

import (
	"context"
	"fmt"
	"strings"

	"github.com/firedrill/firedrill/scenarios"
)

func init() {
	Register(Spec{Action: scenarios.ActionSQL, New: func(p scenarios.Params) (Fault, error) {
		if strings.TrimSpace(p.Statement) == "" {
			return nil, fmt.Errorf("sql: params.statement is empty")
		}
		return &sqlFault{statement: p.Statement}, nil
	}})
}

// SQLRunner runs a statement on a Postgres node and returns the server's
// command tag (postgres.Cluster implements it).
type SQLRunner interface {
	Run(ctx context.Context, node, sql string) (tag string, err error)
}

// WithSQL gives the injector what sql faults run their statement through.
func WithSQL(r SQLRunner) InjectorOption { return func(in *Injector) { in.sql = r } }

// sqlFault runs a statement on its target, like a bad migration or an
// operator's mistake: the database answers throughout, its data is what
// breaks. It cannot be reverted; recovering is the DR engine's (a
// point-in-time restore). Evidence: the server's command tag.
type sqlFault struct{ statement string }

func (f *sqlFault) Inject(ctx context.Context, t *Target) (string, error) {
	if t.SQL == nil {
		return "", fmt.Errorf("sql: this injector runs no SQL (no WithSQL)")
	}
	var ev []string
	for _, n := range t.Nodes {
		t.Applying()
		tag, err := t.SQL.Run(ctx, n.Name, f.statement)
		if err != nil {
			return strings.Join(ev, "; "), err
		}
		ev = append(ev, fmt.Sprintf("%s answered %q", n.Name, tag))
	}
	return strings.Join(ev, "; "), nil
}
