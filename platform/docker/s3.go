package docker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/firedrill/firedrill/topology"
)

// S3 returns an S3 client for the run's MinIO, through its published port.
func (e *Env) S3(ctx context.Context) (*s3.Client, error) {
	ep, err := e.Endpoint(ctx, topology.NodeStorage, topology.PortS3)
	if err != nil {
		return nil, err
	}
	return s3.New(s3.Options{
		BaseEndpoint: aws.String("http://" + ep),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(s3User, e.s3Password, ""),
		// MinIO serves buckets by path, not by virtual host.
		UsePathStyle: true,
	}), nil
}

func (e *Env) createBucket(ctx context.Context) error {
	c, err := e.S3(ctx)
	if err != nil {
		return err
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.Bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", e.Bucket, err)
	}
	return nil
}

// tcLogger routes testcontainers' chatter to the debug log.
type tcLogger struct{ l *slog.Logger }

func (t tcLogger) Printf(format string, v ...any) {
	t.l.Debug(fmt.Sprintf(format, v...), "from", "testcontainers")
}
