# bash completion for policy-check(1).
#
# Works with plain bash (it uses only complete, compgen and compopt; the
# bash-completion package is not needed).  Installed by `make install` where
# bash-completion looks for it; without that package, source it from
# ~/.bashrc:  . /usr/local/share/bash-completion/completions/policy-check
#
# The commands, the options and which options take a value are read from
# the program's own help (policy-check --help, policy-check COMMAND --help),
# so the completion always matches the program that runs.

# _policy_check_help PROG [COMMAND [SUBCOMMAND]]: the help text.
_policy_check_help()
{
	local prog=$1
	shift
	"$prog" "$@" --help 2>/dev/null
}

# The names listed under "commands:" or "subcommands ...:" in a help text.
_policy_check_names()
{
	sed -n 's/^    \([a-z][a-z-]*\)  .*/\1/p'
}

# "--option VALUE-NAME" (or "--option" for a flag) for each option line.
_policy_check_options()
{
	sed -n 's/^    \(-[a-zA-Z], \)\{0,1\} *\(--[a-z][a-z-]*\)\( [^ ]*\)\{0,1\}  .*/\2\3/p'
}

_policy_check()
{
	local cur prev prog cmd= sub= i valuename words
	local -a help_args

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	if [ "$COMP_CWORD" -gt 0 ]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi
	prog=${COMP_WORDS[0]}
	if [ "$COMP_CWORD" -gt 1 ]; then
		cmd=${COMP_WORDS[1]}
	fi
	if [ "$COMP_CWORD" -gt 2 ] && { [ "$cmd" = audit ] || [ "$cmd" = help ]; }; then
		sub=${COMP_WORDS[2]}
	fi

	# the command, or the command and subcommand named after "help"
	if [ "$COMP_CWORD" -eq 1 ]; then
		words="$(_policy_check_help "$prog" | _policy_check_names) help --help --version"
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return 0
	fi
	if [ "$cmd" = help ]; then
		if [ "$COMP_CWORD" -eq 2 ]; then
			words=$(_policy_check_help "$prog" | _policy_check_names)
		elif [ "$COMP_CWORD" -eq 3 ] && [ "$sub" = audit ]; then
			words=$(_policy_check_help "$prog" audit | _policy_check_names)
		fi
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return 0
	fi
	if [ "$cmd" = audit ] && [ "$COMP_CWORD" -eq 2 ]; then
		words=$(_policy_check_help "$prog" audit | _policy_check_names)
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return 0
	fi

	help_args=("$cmd")
	if [ "$cmd" = audit ]; then
		help_args+=("$sub")
	fi

	# the value of an option: complete by the name the help gives it
	valuename=
	case $prev in
	-?)
		valuename=$(_policy_check_help "$prog" "${help_args[@]}" | sed -n "s/^    $prev, --[a-z-]* \([^ ]*\)  .*/\1/p")
		;;
	--*)
		valuename=$(_policy_check_help "$prog" "${help_args[@]}" | _policy_check_options |
			sed -n "s/^$prev \(.*\)/\1/p")
		;;
	esac
	if [ -n "$valuename" ]; then
		case $prev:$valuename in
		--hook:*)
			COMPREPLY=($(compgen -W "pre-receive update reference-transaction" -- "$cur")) ;;
		--remote:*)
			COMPREPLY=($(compgen -W "$(git remote 2>/dev/null)" -- "$cur")) ;;
		--decision:*)
			COMPREPLY=($(compgen -W "accept reject committed aborted repaired void" -- "$cur")) ;;
		--format:*)
			COMPREPLY=($(compgen -W "html csv json" -- "$cur")) ;;
		*:DIR)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -d -- "$cur")) ;;
		*:FILE | *:FILE\|KEY)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur")) ;;
		*:REF | *:REV)
			COMPREPLY=($(compgen -W "$(git for-each-ref --format='%(refname:short)' 2>/dev/null)" -- "$cur")) ;;
		esac
		return 0
	fi

	# an option
	if [ "${cur#-}" != "$cur" ]; then
		words=$(_policy_check_help "$prog" "${help_args[@]}" | _policy_check_options | sed 's/ .*//')
		COMPREPLY=($(compgen -W "$words --help" -- "$cur"))
		return 0
	fi

	# an operand
	case $cmd in
	check | approve)
		COMPREPLY=($(compgen -W "$(git for-each-ref --format='%(refname:short)' 2>/dev/null)" -- "$cur")) ;;
	install)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	owners | audit)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
	return 0
}

complete -F _policy_check policy-check
