package stackwatch

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// keyReading is one read of a key from etcd's v3 API (its JSON gateway,
// which etcd 3.4 serves on the client port): who holds it, and etcd's own
// revisions, which the evidence quotes.
type keyReading struct {
	// Value is the key's value ("" when the key is absent: expired or
	// deleted).
	Value string
	// ModRevision is the revision that last wrote the key; Revision the
	// store's at the read.
	ModRevision, Revision int64
	// Member is the etcd member that answered.
	Member string
}

// rangeResponse is the part of etcd's RangeResponse read (int64 fields
// come as strings in the gateway's JSON).
type rangeResponse struct {
	Header struct {
		Revision int64 `json:"revision,string"`
	} `json:"header"`
	Kvs []struct {
		Value       []byte `json:"value"` // base64 in the JSON, decoded by encoding/json
		ModRevision int64  `json:"mod_revision,string"`
	} `json:"kvs"`
}

// readKey reads key from the etcd member at addr (host:port) with a
// linearizable read: the answer is the cluster's, not a stale copy of a
// member cut off from its peers (that one fails instead).
func readKey(ctx context.Context, hc *http.Client, addr, key string) (keyReading, error) {
	body, err := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key))})
	if err != nil {
		return keyReading{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v3/kv/range", bytes.NewReader(body))
	if err != nil {
		return keyReading{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return keyReading{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return keyReading{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return keyReading{}, fmt.Errorf("etcd range %s: %s: %.200s", key, resp.Status, data)
	}
	var rr rangeResponse
	if err := json.Unmarshal(data, &rr); err != nil {
		return keyReading{}, fmt.Errorf("etcd range %s: %w", key, err)
	}
	r := keyReading{Revision: rr.Header.Revision}
	if len(rr.Kvs) > 0 {
		r.Value, r.ModRevision = string(rr.Kvs[0].Value), rr.Kvs[0].ModRevision
	}
	return r, nil
}
