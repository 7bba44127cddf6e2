#compdef ocelot

_ocelot_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _OCELOT_COMPLETE=complete_zsh ocelot)
}

compdef _ocelot_completion ocelot
