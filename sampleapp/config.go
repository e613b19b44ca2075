package sampleapp

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvListen       = "FIREDRILL_APP_LISTEN"
	EnvWriteDSN     = "FIREDRILL_APP_WRITE_DSN"
	EnvReadDSN      = "FIREDRILL_APP_READ_DSN"
	EnvWriteTimeout = "FIREDRILL_APP_WRITE_TIMEOUT"
	EnvUploads      = "FIREDRILL_APP_UPLOADS"
)

// Defaults applied by ConfigFromEnv and Run to zero fields.
const (
	DefaultListen       = ":8080"
	DefaultWriteTimeout = 5 * time.Second
)

// Config configures the sample application.
type Config struct {
	// Listen is the HTTP listen address (FIREDRILL_APP_LISTEN, default ":8080").
	Listen string
	// WriteDSN is the connection string of the write pool, usually multi-host
	// with target_session_attrs=read-write (FIREDRILL_APP_WRITE_DSN, required).
	WriteDSN string
	// ReadDSN is the connection string of the read pool, e.g. the same hosts
	// with target_session_attrs=prefer-standby (FIREDRILL_APP_READ_DSN). Empty
	// means reads use the write pool.
	ReadDSN string
	// WriteTimeout bounds one write on the server side
	// (FIREDRILL_APP_WRITE_TIMEOUT, default 5s). Reads use the same bound.
	WriteTimeout time.Duration
	// UploadsDir is the directory uploads are stored in
	// (FIREDRILL_APP_UPLOADS). Empty means uploads are off: their routes
	// answer 503, and the app serves everything else.
	UploadsDir string
	// Logger receives structured logs; nil means JSON on stderr.
	Logger *slog.Logger
}

// ConfigFromEnv reads the Config from the FIREDRILL_APP_* environment
// variables. The returned Logger writes JSON to stderr.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		Listen:     os.Getenv(EnvListen),
		WriteDSN:   os.Getenv(EnvWriteDSN),
		ReadDSN:    os.Getenv(EnvReadDSN),
		UploadsDir: os.Getenv(EnvUploads),
		Logger:     defaultLogger(),
	}
	if s := os.Getenv(EnvWriteTimeout); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvWriteTimeout, err)
		}
		cfg.WriteTimeout = d
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func defaultLogger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Logger == nil {
		c.Logger = defaultLogger()
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.WriteDSN == "" {
		errs = append(errs, fmt.Errorf("%s: a write connection string is required", EnvWriteDSN))
	}
	if c.WriteTimeout < 0 {
		errs = append(errs, fmt.Errorf("%s: must be positive, got %s", EnvWriteTimeout, c.WriteTimeout))
	}
	return errors.Join(errs...)
}
