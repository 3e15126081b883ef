#!/usr/bin/env bash
# The closing summary of a failed deploy run (Markdown on stdout, appended to the job summary): what failed,
# whether the last good image was deployed again and passed its checks, and what to do next. Always exits 1:
# the run has failed, whatever the rollback did.
# Input (environment): IMAGE, PROXY_IMAGE, DEPLOY_REASON, SMOKE_OUTCOME, SMOKE_REASON, LAST_GOOD, ROLLBACK_OUTCOME,
# ROLLBACK_REASON, ROLLBACK_SMOKE, RECORD_OUTCOME.
set -uo pipefail
echo "## deploy failed"
echo
echo "| | |"
echo "|---|---|"
echo "| image | \`${IMAGE:-(not built)}\` |"
[ -n "${PROXY_IMAGE:-}" ] && echo "| proxy image | \`${PROXY_IMAGE}\` |"
if [ -n "${DEPLOY_REASON:-}" ]; then
  echo "| deploy | failed: ${DEPLOY_REASON} |"
elif [ "${SMOKE_OUTCOME:-}" = "failure" ]; then
  echo "| deploy | applied |"
  echo "| smoke | failed: ${SMOKE_REASON:-see the smoke step} |"
elif [ "${SMOKE_OUTCOME:-}" = "success" ] && [ "${RECORD_OUTCOME:-}" = "failure" ]; then
  echo "| deploy | applied |"
  echo "| smoke | passed |"
  echo "| record | **failed**: the image runs and passed its checks, but it is not recorded as the last good one (the job needs \`deployments: write\`) |"
else
  echo "| deploy | did not run, or failed before terraform (see the failed step) |"
fi
echo "| last good | \`${LAST_GOOD:-none recorded}\` |"
case "${ROLLBACK_OUTCOME:-skipped}" in
  success)
    echo "| rollback | deployed the last good image again; its smoke checks: ${ROLLBACK_SMOKE:-not run} |"
    echo
    if [ "${ROLLBACK_SMOKE:-}" = "pass" ]; then
      echo "Production runs the last good image again. Fix the change and push; nothing else to do."
    else
      echo "**The rollback deployed, but its checks did not pass.** Follow docs/runbook.md, \"Roll back\", by hand."
    fi
    ;;
  failure)
    echo "| rollback | **failed: ${ROLLBACK_REASON:-see the rollback step}** |"
    echo
    echo "**Production may run the bad image.** Follow docs/runbook.md, \"Roll back\", now."
    ;;
  *)
    echo "| rollback | not attempted |"
    echo
    if [ "${RECORD_OUTCOME:-}" = "failure" ] && [ "${SMOKE_OUTCOME:-}" = "success" ]; then
      echo "Nothing to roll back: production runs the new image, which passed. Record it by hand or rerun (docs/runbook.md)."
    elif [ -z "${LAST_GOOD:-}" ]; then
      echo "No good image has been recorded yet (a first deploy), so there is nothing to roll back to."
    elif [ "${LAST_GOOD}" = "${IMAGE:-}" ]; then
      echo "The image that failed is the last good one: nothing older to roll back to automatically."
    else
      echo "Nothing new reached the instances (the failure came before apply, or apply failed part-way: see the deploy step and docs/runbook.md)."
    fi
    ;;
esac
exit 1
