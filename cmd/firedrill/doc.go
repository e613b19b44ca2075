// Command firedrill runs chaos and disaster-recovery drills on containers
// and reports a measured, verified RTO and RPO against objectives.
//
//	firedrill list                      # the built-in scenarios (--json too)
//	firedrill validate drills/*.yaml    # check scenarios; --format text|github|json
//	firedrill plan primary-kill         # a dry run: topology, images, defaults, failover budget
//	firedrill schema > firedrill.schema.json   # JSON Schema for editors
//	firedrill run primary-kill          # build what is missing, run the drill, print the summary
//	firedrill run --seed 42 a.yaml b    # several drills in a row, replayable seed
//	firedrill run --keep my.yaml        # leave the environment up to look inside
//	firedrill images build              # build the images locally (no registry needed)
//	firedrill clean                     # remove what a killed run left behind
//
// Exit codes: 0 every objective met, 1 an objective missed, 2 invalid
// scenario or usage (also a scenario using a feature this build cannot run
// yet: run refuses it before starting anything), 3 inconclusive or
// infrastructure error, 130 interrupted. With several scenarios, run exits
// with the worst code: 130 > 3 > 2 > 1 > 0.
//
// Logs and progress go to stderr; the summary, or --json output alone, to
// stdout.
package main
