# tests/t/test-lib.sh: sourced by every tests/t/tNNNN-*.t after it sets
# test_description.  Finds the built programs, isolates git from the
# user's configuration, and loads Debian's sharness.

: "${PC_BUILD_DIR:=$(cd "$(dirname "$0")/../../_build" 2>/dev/null && pwd)}"
: "${PC_SRC_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PC_BUILD_DIR PC_SRC_DIR

SHARNESS_TEST_DIRECTORY="$PC_BUILD_DIR/tests/t"
SHARNESS_BUILD_DIRECTORY="$PC_BUILD_DIR"
mkdir -p "$SHARNESS_TEST_DIRECTORY"
export SHARNESS_TEST_DIRECTORY SHARNESS_BUILD_DIRECTORY

# Hooks are found next to the policy-check binary in the build tree.
PC_HOOK_DIR="$PC_BUILD_DIR/hooks"
export PC_HOOK_DIR

# A git that reads no user or system configuration.
GIT_CONFIG_NOSYSTEM=1
GIT_AUTHOR_NAME="A U Thor"
GIT_AUTHOR_EMAIL=author@example.com
GIT_COMMITTER_NAME="C O Mitter"
GIT_COMMITTER_EMAIL=committer@example.com
GIT_AUTHOR_DATE="1700000000 +0000"
GIT_COMMITTER_DATE="1700000000 +0000"
export GIT_CONFIG_NOSYSTEM GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
	GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_DATE
unset GL_USERNAME GL_USER GITEA_PUSHER_NAME REMOTE_USER GIT_DIR GIT_WORK_TREE

. /usr/share/sharness/sharness.sh

# sharness made HOME the trash directory: the global config lives there.
GIT_CONFIG_GLOBAL="$HOME/.gitconfig"
export GIT_CONFIG_GLOBAL
git config --global init.defaultBranch main
git config --global advice.detachedHead false

# The example policies and CODEOWNERS shipped in policy/.
PC_POLICY_DIR="$PC_SRC_DIR/policy"
export PC_POLICY_DIR
