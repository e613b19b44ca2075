package target

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Recovery targets of dr.recovery.target, the forms ParseRecoveryTarget
// reads.
const (
	RecoveryTargetLatest      = "latest"
	RecoveryTargetBeforeFault = "before-fault"
	recoveryTargetLSNPrefix   = "lsn:"
	recoveryTargetNamePrefix  = "name:"
)

// RecoveryTarget is dr.recovery.target parsed: exactly one of its forms.
type RecoveryTarget struct {
	// Latest replays every archived WAL segment.
	Latest bool
	// BeforeFault stops just before the injection of the fault that
	// caused the failure.
	BeforeFault bool
	// At is an offset of the drill's timeline (Set says it is the form).
	At    time.Duration
	AtSet bool
	// LSN is a WAL position "X/Y"; Name a restore point's name.
	LSN  string
	Name string
}

// ParseRecoveryTarget reads dr.recovery.target; the error says what is
// wrong, for the validator's message.
func ParseRecoveryTarget(s string) (RecoveryTarget, error) {
	switch {
	case s == "" || s == RecoveryTargetLatest:
		return RecoveryTarget{Latest: true}, nil
	case s == RecoveryTargetBeforeFault:
		return RecoveryTarget{BeforeFault: true}, nil
	case strings.HasPrefix(s, recoveryTargetLSNPrefix):
		lsn := strings.TrimPrefix(s, recoveryTargetLSNPrefix)
		if !validLSN(lsn) {
			return RecoveryTarget{}, fmt.Errorf("%q is not a WAL position: write two hexadecimal numbers with a slash, like 0/3000060", lsn)
		}
		return RecoveryTarget{LSN: strings.ToUpper(lsn)}, nil
	case strings.HasPrefix(s, recoveryTargetNamePrefix):
		name := strings.TrimPrefix(s, recoveryTargetNamePrefix)
		if name == "" || len(name) > 63 {
			return RecoveryTarget{}, fmt.Errorf("a restore point name has 1 to 63 characters, got %d", len(name))
		}
		return RecoveryTarget{Name: name}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return RecoveryTarget{}, fmt.Errorf("%q is none of latest, before-fault, a timeline offset (19.5s), lsn:X/Y or name:<restore point>", s)
	}
	if d < 0 {
		return RecoveryTarget{}, fmt.Errorf("a timeline offset cannot be negative, got %s", s)
	}
	return RecoveryTarget{At: d, AtSet: true}, nil
}

func validLSN(s string) bool {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return false
	}
	_, err1 := strconv.ParseUint(hi, 16, 32)
	_, err2 := strconv.ParseUint(lo, 16, 32)
	return err1 == nil && err2 == nil
}

// String is the form written in a scenario.
func (t RecoveryTarget) String() string {
	switch {
	case t.BeforeFault:
		return RecoveryTargetBeforeFault
	case t.AtSet:
		return t.At.String()
	case t.LSN != "":
		return recoveryTargetLSNPrefix + t.LSN
	case t.Name != "":
		return recoveryTargetNamePrefix + t.Name
	}
	return RecoveryTargetLatest
}
