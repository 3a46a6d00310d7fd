#!/usr/bin/env bash
# Resolves Apache Kafka $KAFKA_VERSION (broker + tools) from Maven Central into
# $CACHE/kafka-$KAFKA_VERSION/libs with a throwaway pom, so no tarball download is needed.
source "$(dirname "$0")/lib.sh"
dest="$CACHE/kafka-$KAFKA_VERSION"
[ -f "$dest/.complete" ] && exit 0
log "resolving Kafka $KAFKA_VERSION jars from Maven Central"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.mobileforge</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_$KAFKA_SCALA_VERSION</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- the broker logs through slf4j; exactly one binding, configured by log4j2.yaml -->
    <!-- a transitive dependency drags in slf4j-api 1.7; the broker and the binding want 2.x -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
rm -rf "$dest"; mkdir -p "$dest/libs"
mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/libs" \
  || die "maven could not resolve Kafka $KAFKA_VERSION"
touch "$dest/.complete"
log "Kafka jars in $dest/libs ($(ls "$dest/libs" | wc -l) files)"
