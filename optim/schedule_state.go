package optim

import (
	"encoding/json"
	"fmt"
)

// scheduleVersion is the version of the envelope MarshalSchedule writes.
const scheduleVersion = 1

type scheduleEnvelope struct {
	Version int             `json:"version"`
	Kind    string          `json:"kind"`
	State   json.RawMessage `json:"state"`
}

// MarshalSchedule serialises one of this package's schedules (settings
// and, for ReduceOnPlateau, progress) as versioned JSON that
// UnmarshalSchedule reads back exactly. The step counter t of the other
// schedules is the caller's to save.
func MarshalSchedule(s Schedule) ([]byte, error) {
	var kind string
	switch s.(type) {
	case Constant:
		kind = "constant"
	case StepDecay:
		kind = "step"
	case Exponential:
		kind = "exponential"
	case WarmupCosine:
		kind = "warmup_cosine"
	case OneCycle:
		kind = "one_cycle"
	case *ReduceOnPlateau:
		kind = "reduce_on_plateau"
	default:
		return nil, fmt.Errorf("optim: marshal schedule: unsupported type %T", s)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("optim: marshal %s schedule: %w", kind, err)
	}
	return json.Marshal(scheduleEnvelope{Version: scheduleVersion, Kind: kind, State: raw})
}

// UnmarshalSchedule reads what MarshalSchedule wrote.
func UnmarshalSchedule(data []byte) (Schedule, error) {
	var env scheduleEnvelope
	if err := strictJSON(data, &env); err != nil {
		return nil, fmt.Errorf("optim: unmarshal schedule: %w", err)
	}
	if env.Version != scheduleVersion {
		return nil, fmt.Errorf("optim: unmarshal schedule: unsupported version %d (want %d)", env.Version, scheduleVersion)
	}
	var s Schedule
	var err error
	switch env.Kind {
	case "constant":
		s, err = decodeSchedule[Constant](env.State)
	case "step":
		s, err = decodeSchedule[StepDecay](env.State)
	case "exponential":
		s, err = decodeSchedule[Exponential](env.State)
	case "warmup_cosine":
		s, err = decodeSchedule[WarmupCosine](env.State)
	case "one_cycle":
		s, err = decodeSchedule[OneCycle](env.State)
	case "reduce_on_plateau":
		r := &ReduceOnPlateau{}
		err = r.UnmarshalJSON(env.State)
		s = r
	default:
		return nil, fmt.Errorf("optim: unmarshal schedule: unknown kind %q", env.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("optim: unmarshal %s schedule: %w", env.Kind, err)
	}
	return s, nil
}

func decodeSchedule[T Schedule](raw json.RawMessage) (Schedule, error) {
	var v T
	if err := strictJSON(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}
