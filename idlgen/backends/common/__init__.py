"""Helpers every backend may use (the one place backends share code): the model as IDL
reads (:mod:`.idl`), the Python naming rule (:mod:`.naming`), the emit-kind registry
(:mod:`.emitters`) and the template loader (:mod:`.templates`)."""
