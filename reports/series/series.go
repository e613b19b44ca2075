package series

import (
	"slices"
	"time"

	"github.com/firedrill/firedrill"
	"github.com/firedrill/firedrill/reports/score"
)

// MaxBuckets bounds a series' buckets: enough to show a 100 ms outage
// on a minute-long drill, few enough that result.json and an SVG of a
// long game day stay small.
const MaxBuckets = 600

// widths are the bucket widths Series chooses from: the narrowest
// that keeps a drill within MaxBuckets.
var widths = []time.Duration{
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
	5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour,
}

// Of buckets the operations by the instant each was sent, over
// [0, end), and lists the lag readings (docs/measurement.md, "Time
// series"). Uploads are not bucketed (their stream is counted in
// Result.Uploads). It returns nil when there is nothing to chart.
func Of(ops []firedrill.Op, lag []firedrill.LagSample, end time.Duration) *firedrill.Series {
	for _, op := range ops {
		end = max(end, op.Sent+1)
	}
	if end <= 0 && len(lag) == 0 {
		return nil
	}
	width := widths[len(widths)-1]
	for _, w := range widths {
		if end <= w*MaxBuckets {
			width = w
			break
		}
	}
	n := int((end + width - 1) / width)
	s := &firedrill.Series{BucketMS: firedrill.Millis(width), Buckets: make([]firedrill.SeriesBucket, n)}
	latencies := make([][]time.Duration, n)
	for i := range s.Buckets {
		s.Buckets[i].AtMS = firedrill.Millis(time.Duration(i) * width)
	}
	for _, op := range ops {
		i := int(op.Sent / width)
		if op.Sent < 0 || i >= n {
			continue
		}
		b := &s.Buckets[i]
		switch op.Kind {
		case "write", "":
			switch op.Outcome {
			case firedrill.OutcomeOK:
				b.WritesOK++
				latencies[i] = append(latencies[i], op.Done-op.Sent)
			case firedrill.OutcomeFailed:
				b.WritesFailed++
			default:
				b.WritesIndeterminate++
			}
		case "read":
			if op.Outcome == firedrill.OutcomeOK {
				b.ReadsOK++
			} else {
				b.ReadsFailed++
			}
		}
	}
	for i, l := range latencies {
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		p50, p99, top := firedrill.Millis(score.NearestRank(l, 0.50)), firedrill.Millis(score.NearestRank(l, 0.99)), firedrill.Millis(l[len(l)-1])
		s.Buckets[i].LatencyP50MS, s.Buckets[i].LatencyP99MS, s.Buckets[i].LatencyMaxMS = &p50, &p99, &top
	}
	for _, sm := range lag {
		for _, r := range sm.Replicas {
			p := firedrill.LagPoint{AtMS: firedrill.Millis(sm.At), Primary: sm.Primary, Replica: r.Node,
				Streaming: r.Streaming, UnflushedBytes: r.UnflushedBytes}
			if r.ReplayLag != nil {
				ms := firedrill.Millis(*r.ReplayLag)
				p.ReplayLagMS = &ms
			}
			s.Lag = append(s.Lag, p)
		}
	}
	return s
}
