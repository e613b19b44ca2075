package agentcmd

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/dr/jobs"
	"github.com/firedrill/firedrill/dr/store"
)

// The backup jobs run inside the environment as `firedrill agent backup
// <kind>`, `agent restore <kind>` and `agent backups list`
// (docs/architecture.md, "Backups and the catalog"). `backup` and
// `restore` are parents: each file adds its kinds with
// agentBackupSubcommands and agentRestoreSubcommands from its init (this
// one logical and files, agent_wal.go physical).
var agentBackupSubcommands, agentRestoreSubcommands []func(g *globals) *cobra.Command

func init() {
	agentSubcommands = append(agentSubcommands, newAgentBackupCmd, newAgentRestoreCmd, newAgentBackupsCmd)
	agentBackupSubcommands = append(agentBackupSubcommands, newAgentBackupLogicalCmd, newAgentBackupFilesCmd)
	agentRestoreSubcommands = append(agentRestoreSubcommands, newAgentRestoreLogicalCmd, newAgentRestoreFilesCmd)
}

// jobTimeoutFlag bounds a job (a persistent flag of backup and restore):
// a storage that stops answering mid-transfer must end the job with an
// error line, not hang it.
const jobTimeoutFlag = "timeout"

// jobContext is the command's context bounded by --timeout (0: unbounded).
func jobContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	d, err := cmd.Flags().GetDuration(jobTimeoutFlag)
	if err != nil || d <= 0 {
		return context.WithCancel(cmd.Context())
	}
	return context.WithTimeout(cmd.Context(), d)
}

func newAgentBackupCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "backup", Short: "Take a backup into the run's bucket (a DR job)"}
	cmd.PersistentFlags().Duration(jobTimeoutFlag, time.Hour, "give up after this long (0: never)")
	for _, sub := range agentBackupSubcommands {
		cmd.AddCommand(sub(g))
	}
	return cmd
}

func newAgentRestoreCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "restore", Short: "Restore the newest valid backup from the run's bucket (a DR job)"}
	cmd.PersistentFlags().Duration(jobTimeoutFlag, time.Hour, "give up after this long (0: never)")
	for _, sub := range agentRestoreSubcommands {
		cmd.AddCommand(sub(g))
	}
	return cmd
}

// jobStore is the store of the job's environment (FIREDRILL_S3_*).
func jobStore(ctx context.Context) (*store.Store, error) {
	cfg, err := store.ConfigFromEnv()
	if err != nil {
		return nil, withCode(firedrill.ExitUsage, err)
	}
	return store.New(ctx, cfg)
}

// jobDSN is the connection string of a job: FIREDRILL_PG_DSN, or with
// --dsn-socket the local server's unix socket as the official image's
// initdb.d scripts reach it.
func jobDSN(socket bool) (string, error) {
	if socket {
		user, db := os.Getenv("POSTGRES_USER"), os.Getenv("POSTGRES_DB")
		if user == "" {
			user = "postgres"
		}
		if db == "" {
			db = user
		}
		return fmt.Sprintf("host=/var/run/postgresql user=%s dbname=%s", user, db), nil
	}
	dsn := os.Getenv("FIREDRILL_PG_DSN")
	if dsn == "" {
		return "", withCode(firedrill.ExitUsage, fmt.Errorf("FIREDRILL_PG_DSN is not set"))
	}
	return dsn, nil
}

// jobFailed gives a job's error the exit code of a broken infrastructure;
// the error line is already printed.
func jobFailed(err error) error {
	if err == nil {
		return nil
	}
	return withCode(firedrill.ExitInconclusive, err)
}

// backupID is --id, or a new one from the clock.
func backupID(id string) (string, error) {
	if id == "" {
		return store.NewID(time.Now()), nil
	}
	if !store.ValidID(id) {
		return "", withCode(firedrill.ExitUsage, fmt.Errorf("--id %q: want the form %s", id, store.NewID(time.Unix(0, 0))))
	}
	return id, nil
}

// restoreID checks a restore's --id: empty (the newest valid backup) or a
// backup id.
func restoreID(id string) error {
	if id != "" && !store.ValidID(id) {
		return withCode(firedrill.ExitUsage, fmt.Errorf("--id %q is not a backup id", id))
	}
	return nil
}

func newAgentBackupLogicalCmd(g *globals) *cobra.Command {
	var (
		id   string
		keep int
	)
	cmd := &cobra.Command{
		Use:   "logical [--id ID] [--keep N]",
		Short: "pg_dump -Fc of FIREDRILL_PG_DSN's database, streamed into the bucket",
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
			_, err = jobs.LogicalBackup{DSN: dsn, ID: id, Keep: keep, Store: st, Out: g.stdout, Stderr: g.stderr}.Run(ctx)
			return jobFailed(err)
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "the backup's id (default: now, UTC to the millisecond)")
	cmd.Flags().IntVar(&keep, "keep", 0, "keep only the newest N complete logical backups afterwards (0: keep all)")
	return cmd
}

func newAgentRestoreLogicalCmd(g *globals) *cobra.Command {
	var (
		id, tmp string
		njobs   int
		socket  bool
	)
	cmd := &cobra.Command{
		Use:   "logical [--id ID] [--jobs N] [--dsn-socket] [--tmp DIR]",
		Short: "pg_restore the newest valid logical backup into the (empty) database, then amcheck",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := jobContext(cmd)
			defer cancel()
			if err := restoreID(id); err != nil {
				return err
			}
			dsn, err := jobDSN(socket)
			if err != nil {
				return err
			}
			st, err := jobStore(ctx)
			if err != nil {
				return err
			}
			_, _, err = jobs.LogicalRestore{DSN: dsn, ID: id, Jobs: njobs, Store: st, TmpDir: tmp, Out: g.stdout, Stderr: g.stderr}.Run(ctx)
			return jobFailed(err)
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "restore this backup only (default: the newest valid one)")
	cmd.Flags().IntVar(&njobs, "jobs", 1, "pg_restore -j: sessions restoring at once")
	cmd.Flags().BoolVar(&socket, "dsn-socket", false, "connect to the local server's unix socket as $POSTGRES_USER to $POSTGRES_DB (an initdb.d script)")
	cmd.Flags().StringVar(&tmp, "tmp", "", "directory of the downloaded dump (default: the system's temporary directory)")
	return cmd
}

func newAgentBackupFilesCmd(g *globals) *cobra.Command {
	var (
		dir, id string
		keep    int
	)
	cmd := &cobra.Command{
		Use:   "files --dir DIR [--id ID] [--keep N]",
		Short: "tar.gz of a directory (the uploads volume), streamed into the bucket",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := jobContext(cmd)
			defer cancel()
			id, err := backupID(id)
			if err != nil {
				return err
			}
			st, err := jobStore(ctx)
			if err != nil {
				return err
			}
			_, err = jobs.FilesBackup{Dir: dir, ID: id, Keep: keep, Store: st, Out: g.stdout}.Run(ctx)
			return jobFailed(err)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "/uploads", "the directory to back up")
	cmd.Flags().StringVar(&id, "id", "", "the backup's id (default: now, UTC to the millisecond)")
	cmd.Flags().IntVar(&keep, "keep", 0, "keep only the newest N complete files backups afterwards (0: keep all)")
	return cmd
}

func newAgentRestoreFilesCmd(g *globals) *cobra.Command {
	var dir, id, tmp string
	cmd := &cobra.Command{
		Use:   "files --dir DIR [--id ID] [--tmp DIR]",
		Short: "Put the newest valid files backup back into a directory (merged: its other files stay)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := jobContext(cmd)
			defer cancel()
			if err := restoreID(id); err != nil {
				return err
			}
			st, err := jobStore(ctx)
			if err != nil {
				return err
			}
			_, err = jobs.FilesRestore{Dir: dir, ID: id, Store: st, TmpDir: tmp, Out: g.stdout}.Run(ctx)
			return jobFailed(err)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "/uploads", "the directory to restore into (the backup's files replace their namesakes; the rest stays)")
	cmd.Flags().StringVar(&id, "id", "", "restore this backup only (default: the newest valid one)")
	cmd.Flags().StringVar(&tmp, "tmp", "", "directory of the downloaded archive (default: the system's temporary directory)")
	return cmd
}

func newAgentBackupsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "backups", Short: "The backup catalog"}
	var (
		kind, tmp string
		verify    bool
	)
	list := &cobra.Command{
		Use:   "list [--kind K] [--verify]",
		Short: "The backups in the bucket as JSON lines, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kinds := []string{store.KindLogical, store.KindPhysical, store.KindFiles}
			if kind != "" {
				if store.DefaultObject(kind) == "" {
					return withCode(firedrill.ExitUsage, fmt.Errorf("--kind %q: want logical, physical or files", kind))
				}
				kinds = []string{kind}
			}
			st, err := jobStore(cmd.Context())
			if err != nil {
				return err
			}
			return jobFailed(jobs.ListCatalog(cmd.Context(), st, kinds, verify, tmp, g.stdout))
		},
	}
	list.Flags().StringVar(&kind, "kind", "", "logical, physical or files (default: all)")
	list.Flags().BoolVar(&verify, "verify", false, "download each complete backup and check its size and SHA-256")
	list.Flags().StringVar(&tmp, "tmp", "", "directory of the downloads of --verify")
	cmd.AddCommand(list)
	return cmd
}
