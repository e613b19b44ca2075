// Command firedrill runs chaos and disaster-recovery drills on containers
// and reports a measured, verified RTO and RPO against objectives.
//
//	firedrill run primary-kill          # build what is missing, run the drill, print the summary
//	firedrill run --keep my.yaml        # leave the environment up to look inside
//	firedrill images build              # build the images locally (no registry needed)
//	firedrill clean                     # remove what a killed run left behind
//
// Exit codes: 0 every objective met, 1 an objective missed, 2 invalid
// scenario or usage, 3 inconclusive or infrastructure error, 130 interrupted.
// Logs and progress go to stderr; the summary (or --json) to stdout.
package main
