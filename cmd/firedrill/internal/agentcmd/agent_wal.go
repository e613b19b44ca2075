package agentcmd

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
)

// WAL archiving and physical backups (docs/architecture.md, "WAL archiving
// and point-in-time recovery"): `agent wal-push` is every Postgres node's
// archive_command, `agent wal-fetch` a restored node's restore_command,
// `agent backup physical` and `agent restore physical` jobs like the
// others of agent_backup.go. wal-push and wal-fetch work on the archive of
// the cluster whose data directory they run in (its system identifier, in
// global/pg_control), or of --system-id.
func init() {
	agentSubcommands = append(agentSubcommands, newAgentWALPushCmd, newAgentWALFetchCmd)
	agentBackupSubcommands = append(agentBackupSubcommands, newAgentBackupPhysicalCmd)
	agentRestoreSubcommands = append(agentRestoreSubcommands, newAgentRestorePhysicalCmd)
}

// walPushTimeout bounds one archive_command: the archiver waits for it,
// and a storage that never answers (a partition) must turn into a failure
// Postgres retries and pg_stat_archiver counts, not a hung archiver.
const walPushTimeout = 60 * time.Second

// exitWALPushFailed is wal-push's failure: any status up to 125 makes
// Postgres keep the segment and retry; above, its archiver would be
// restarted as if the shell had failed.
const exitWALPushFailed = 1

// systemIDFlag names the cluster whose archive wal-push and wal-fetch
// use, instead of the one in the working directory's pg_control.
const systemIDFlag = "system-id"

func addSystemIDFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVar(dst, systemIDFlag, "", "the cluster's system identifier, in decimal (default: read from global/pg_control in the working directory, the data directory Postgres runs the command in)")
}

func newAgentWALPushCmd(g *globals) *cobra.Command {
	var (
		timeout  time.Duration
		systemID string
	)
	cmd := &cobra.Command{
		Use:   "wal-push [--system-id ID] <path>",
		Short: "archive_command: store one WAL file (%p) in the run's bucket, in its cluster's archive; exit 0 only once it is stored",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			sys, err := jobs.ArchiveSystemID(systemID, ".")
			var st *store.Store
			if err == nil {
				st, err = walStore(ctx)
			}
			if err == nil {
				err = jobs.PushWAL(ctx, st, sys, args[0], g.stderr)
			}
			if err != nil {
				return withCode(exitWALPushFailed, err)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", walPushTimeout, "give up (and let Postgres retry) after this long")
	addSystemIDFlag(cmd, &systemID)
	return cmd
}

func newAgentWALFetchCmd(g *globals) *cobra.Command {
	var (
		retryFor time.Duration
		systemID string
	)
	cmd := &cobra.Command{
		Use:   "wal-fetch [--system-id ID] <name> <dest>",
		Short: "restore_command: fetch one WAL file (%f) of its cluster's archive to %p; exit 1 when absent, 126 when the bucket cannot be read",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			// An unknown cluster is a broken setup, never the end of the
			// archive: it stops the recovery (126), like an unreadable
			// bucket.
			sys, err := jobs.ArchiveSystemID(systemID, ".")
			var st *store.Store
			if err == nil {
				st, err = walStore(cmd.Context())
			}
			if err == nil {
				err = jobs.FetchWAL(cmd.Context(), st, sys, args[0], args[1], retryFor)
			}
			if code := jobs.FetchExitCode(err); code != jobs.ExitWALFetched {
				if code == jobs.ExitWALAbsent {
					// The end of the archive, which every recovery reaches:
					// nothing to say in the server's log.
					return withCode(code, nil)
				}
				return withCode(code, err)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&retryFor, "retry-for", jobs.FetchRetry, "retry an unreadable bucket this long before stopping the recovery")
	addSystemIDFlag(cmd, &systemID)
	return cmd
}

// walStore is the store of FIREDRILL_S3_*. Its error is never ErrNoWAL:
// a missing variable is a broken setup, and a restore_command must stop
// the recovery for it rather than end it.
func walStore(ctx context.Context) (*store.Store, error) {
	cfg, err := store.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	st, err := store.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return st, nil
}

func newAgentBackupPhysicalCmd(g *globals) *cobra.Command {
	var (
		id   string
		keep int
	)
	cmd := &cobra.Command{
		Use:   "physical [--id ID] [--keep N]",
		Short: "pg_basebackup -Ft -X none of FIREDRILL_PG_DSN's server, gzip'd into the bucket (WAL comes from archiving)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := jobContext(cmd)
			defer cancel()
			id, err := backupID(id)
			if err != nil {
				return err
			}
			dsn, err := jobDSN(false)
			if err != nil {
				return err
			}
			st, err := jobStore(ctx)
			if err != nil {
				return err
			}
			_, err = jobs.PhysicalBackup{DSN: dsn, ID: id, Keep: keep, Store: st, Out: g.stdout, Stderr: g.stderr}.Run(ctx)
			return jobFailed(err)
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "the backup's id (default: now, UTC to the millisecond)")
	cmd.Flags().IntVar(&keep, "keep", 0, "keep only the newest N complete physical backups afterwards, and the archived WAL of this cluster they need (0: keep all)")
	return cmd
}

func newAgentRestorePhysicalCmd(g *globals) *cobra.Command {
	var (
		id, pgdata, target, tmp, restoreCommand string
	)
	cmd := &cobra.Command{
		Use:   "physical --pgdata DIR [--id ID] [--target latest|time:<RFC3339>|lsn:<X/Y>|name:<n>]",
		Short: "Extract the newest valid base backup that reaches the target into an empty PGDATA, set up recovery; Postgres replays the archived WAL when it starts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := jobContext(cmd)
			defer cancel()
			if pgdata == "" {
				return withCode(firedrill.ExitUsage, errors.New("--pgdata is required"))
			}
			if err := restoreID(id); err != nil {
				return err
			}
			t, err := jobs.ParseTarget(target)
			if err != nil {
				return withCode(firedrill.ExitUsage, err)
			}
			st, err := jobStore(ctx)
			if err != nil {
				return err
			}
			_, err = jobs.PhysicalRestore{PGData: pgdata, ID: id, Target: t, Store: st, TmpDir: tmp,
				RestoreCommand: restoreCommand, Out: g.stdout}.Run(ctx)
			return jobFailed(err)
		},
	}
	cmd.Flags().StringVar(&pgdata, "pgdata", "", "the (empty) data directory to restore into")
	cmd.Flags().StringVar(&id, "id", "", "restore this backup only (default: the newest valid one that reaches the target)")
	cmd.Flags().StringVar(&target, "target", jobs.TargetLatest, "where recovery stops: latest, time:<RFC3339Nano>, lsn:<X/Y> or name:<restore point>")
	cmd.Flags().StringVar(&tmp, "tmp", "", "directory of the downloaded backup (default: the system's temporary directory)")
	cmd.Flags().StringVar(&restoreCommand, "restore-command", jobs.DefaultRestoreCommand, "the restore_command written for the recovery")
	return cmd
}
