# shellcheck shell=bash
# The test services' private CA and their server certificates. Sourced by infra.sh, not run.
#
# Production reaches Kafka, PostgreSQL and the MongoDB-wire database over TLS with certificates
# from a private CA; the test services do the same with one CA of their own, made at start in
# $RUN/tls (so a fresh RUN gets a fresh CA) and trusted by nothing but the tests that are
# given its certificate ($TEST_CA_FILE). Each service gets its own key and certificate, naming
# every address its clients use: localhost and 127.0.0.1 for tests on this machine, the node
# bridge's address ($NODE_IP) for pods on the node.

TLS_DIR="$RUN/tls"
TEST_CA_FILE="$TLS_DIR/ca.crt"

tls_sans() { echo "DNS:localhost,IP:127.0.0.1,IP:$NODE_IP"; }

# server_cert NAME: $TLS_DIR/NAME.crt and NAME.key, signed by the test CA. Made once per RUN;
# made again when the CA or the names changed (another MF_NODE_SUBNET), so a certificate
# always verifies against the CA the env file points at. Two `up`s at once (two test runs)
# share one CA: the lock keeps them from making two.
server_cert() {
  local name=$1
  mkdir -p "$TLS_DIR"
  (
    flock 9
    cd "$TLS_DIR" || exit 1
    umask 077
    if [ ! -f ca.key ] || [ ! -f ca.crt ]; then
      log "generating the test services' CA in $TLS_DIR"
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mobileforge-test-services-ca" \
        -keyout ca.key -out ca.crt 2>/dev/null
      chmod 644 ca.crt
    fi
    local sans; sans=$(tls_sans)
    if [ -f "$name.crt" ] && [ -f "$name.key" ] && [ "$(cat "$name.sans" 2>/dev/null)" = "$sans" ] \
       && openssl verify -CAfile ca.crt "$name.crt" >/dev/null 2>&1; then
      exit 0
    fi
    openssl req -newkey rsa:2048 -nodes -subj "/CN=mobileforge-test-$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$sans" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$name.ext" \
      -out "$name.crt" 2>/dev/null
    chmod 644 "$name.crt"
    echo "$sans" > "$name.sans"
    rm -f "$name.csr" "$name.ext"
  ) 9> "$TLS_DIR/.lock"
}

# For `status`: the CA's subject and expiry, or that there is none yet.
tls_status() {
  if [ -f "$TEST_CA_FILE" ]; then
    echo "test CA $TEST_CA_FILE ($(openssl x509 -in "$TEST_CA_FILE" -noout -enddate | sed 's/notAfter=/until /'))"
  else
    echo "test CA: none yet (made by the first up)"
  fi
}
