# syntax=docker/dockerfile:1
# The gateway's image: a static binary on distroless, as a non-root user.
# CI builds the binary with this file's own `go build` line and checks it is
# static (e2e/dockerfile_test.go).

# Pinned builder: keep in step with go.mod's go line.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first, so that code changes do not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY cmd/ cmd/
COPY internal/ internal/
COPY swagger/ swagger/
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/gateway ./cmd/gateway

# Minimal runtime: CA certificates, tzdata, nothing else; uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /gateway
USER 65532:65532
EXPOSE 8080
# The embedded store's folder; mount a volume here (the Helm chart does).
ENV GATEWAY_DATA_DIR=/data
ENTRYPOINT ["/gateway"]
