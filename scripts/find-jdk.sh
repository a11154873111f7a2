# Sourced by ./writ and ./mvnw (POSIX sh): finds a JDK 21 or newer and exports JAVA_HOME.
# Order: $JAVA_HOME, the java on PATH, then the usual install locations.
# Prints a clear message and returns 1 when none is found.

writ_jdk_ok() {
  # $1: a JDK home; succeeds when it has java and javac of feature version 21 or newer.
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  _writ_major=$("$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1)
  [ -n "$_writ_major" ] && [ "$_writ_major" -ge 21 ]
}

writ_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && writ_jdk_ok "$JAVA_HOME"; then
    export JAVA_HOME
    return 0
  fi
  if command -v java >/dev/null 2>&1; then
    _writ_java=$(command -v java)
    _writ_java=$(readlink -f "$_writ_java" 2>/dev/null || echo "$_writ_java")
    _writ_home=$(dirname "$(dirname "$_writ_java")")
    if writ_jdk_ok "$_writ_home"; then
      JAVA_HOME=$_writ_home
      export JAVA_HOME
      return 0
    fi
  fi
  _writ_noglob=0
  case $- in *f*) _writ_noglob=1; set +f ;; esac
  for _writ_home in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /usr/local/java/* /usr/local/jdk* \
      "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    if [ -d "$_writ_home" ] && writ_jdk_ok "$_writ_home"; then
      [ "$_writ_noglob" = 1 ] && set -f
      JAVA_HOME=$_writ_home
      export JAVA_HOME
      return 0
    fi
  done
  [ "$_writ_noglob" = 1 ] && set -f
  echo "writ: no JDK 21 or newer found (looked at JAVA_HOME, PATH, /usr/lib/jvm, /opt, ~/.sdkman, ~/.jdks)." >&2
  echo "writ: install one (for example Temurin 21 or 25) and set JAVA_HOME to it." >&2
  return 1
}
